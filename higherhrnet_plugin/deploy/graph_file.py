"""Writing an exported graph: our record in its ``metadata_props``, and the
file in place only when complete. Needs ``onnx``; used by the export and the
quantization."""
import os

from .metadata import METADATA_KEY, DeployMetadata


def save_graph(model, metadata: DeployMetadata, out_file: str) -> None:
    """Write the ONNX ``model`` (a ``ModelProto``) to ``out_file`` with
    ``metadata`` as its ``metadata_props[METADATA_KEY]`` (replacing an
    earlier record of ours, keeping other entries). The model is written to
    ``out_file + '.partial'`` and renamed, so ``out_file`` is never half
    written."""
    import onnx
    kept = [(p.key, p.value) for p in model.metadata_props
            if p.key != METADATA_KEY]
    del model.metadata_props[:]
    for key, value in kept + [(METADATA_KEY, metadata.to_json())]:
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    partial = out_file + '.partial'
    try:
        onnx.save(model, partial)
        os.replace(partial, out_file)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
