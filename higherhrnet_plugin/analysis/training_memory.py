"""The memory of a training step, measured on CPU: the static part
(parameters, gradients, Adam's two moments) and the activations autograd
keeps for the backward pass, per sample.

Activations are measured with :func:`torch.autograd.graph.saved_tensors_hooks`
over the forward pass and the loss of a batch of 1 and a batch of 2 (the
same sample twice): the difference is what one more sample adds, and it
does not depend on the device. Storages are counted once however many
views of them are saved; parameters and buffers (static memory) are left
out. With ``dtype=torch.bfloat16`` the forward runs under CPU autocast,
whose 2-byte activations stand for those of fp16 autocast on a GPU.

A GPU step needs about ``static + batch * per_sample`` plus what the
backward pass holds at once (the gradients of the activations being freed),
the CUDA context and cuDNN workspaces: docs/training.md, "GPU memory per
config", leaves a margin for those.
"""
import copy
import math
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

# bytes per parameter in a training step with Adam: the fp32 weight, its
# gradient and Adam's two moments (AMP keeps the fp32 master weights)
ADAM_BYTES_PER_PARAM = 4 * 4


@dataclass
class TrainingMemory:
    """Memory of a training step.

    Attributes:
        num_params (int): parameters of the model.
        per_sample (int): bytes of saved activations one sample adds.
        per_batch (int): bytes saved whatever the batch size (e.g. weights
            cast to 16 bits under autocast).
    """
    num_params: int
    per_sample: int
    per_batch: int

    @property
    def static(self) -> int:
        """Parameters, gradients and Adam's moments."""
        return self.num_params * ADAM_BYTES_PER_PARAM

    def total(self, batch_size: int) -> int:
        """Static memory and the saved activations of ``batch_size``."""
        return self.static + self.per_batch + batch_size * self.per_sample

    def max_batch(self, budget: int) -> int:
        """The largest batch whose :meth:`total` fits in ``budget`` bytes."""
        return max(0, math.floor(
            (budget - self.static - self.per_batch) / self.per_sample))


def saved_activation_bytes(model: torch.nn.Module, data: dict,
                           dtype: Optional[torch.dtype] = None) -> int:
    """Bytes of the distinct storages autograd saves for the backward pass
    in ``model``'s training forward and loss on ``data`` (a collated batch),
    parameters and buffers left out; under CPU autocast to ``dtype`` if
    given."""
    static = {t.untyped_storage().data_ptr()
              for t in (*model.parameters(), *model.buffers())}
    saved = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in static:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    amp = (torch.autocast('cpu', dtype=dtype)
           if dtype is not None else nullcontext())
    model.train()
    data = model.data_preprocessor(data, training=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), amp:
        losses = model(**data, mode='loss')
    del losses
    return sum(saved.values())


def measure_training_memory(cfg: Config, sample: dict,
                            dtype: Optional[torch.dtype] = None
                            ) -> TrainingMemory:
    """Static and per-sample memory of ``cfg``'s model in training, from
    one packed training ``sample`` (the train pipeline's output)."""
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.pop('init_cfg', None)  # no weight download
    model = MODELS.build(model_cfg)
    one, two = (saved_activation_bytes(
        model, pseudo_collate([sample] * n), dtype) for n in (1, 2))
    return TrainingMemory(
        num_params=sum(p.numel() for p in model.parameters()),
        per_sample=two - one, per_batch=2 * one - two)
