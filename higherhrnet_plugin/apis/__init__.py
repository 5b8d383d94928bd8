"""Pose estimation on image files, as ``tools/infer.py`` runs it.

The modules are imported one by one, so that a backend without torch (the
ONNX runtime) can use the torch-free ones:

- :mod:`.folder_inference`: the loop over the files for any backend
  (numpy and :mod:`higherhrnet_plugin.core` only);
- :mod:`.pytorch_predictor`: the PyTorch backend (a config and a
  checkpoint, MMPose's model and the config's visualizer);
- :mod:`.onnx_predictor`: the ONNX backends (:mod:`higherhrnet_plugin.deploy`),
  exporting the config's model on the fly when no graph is given.
"""

__all__ = ['folder_inference', 'onnx_predictor', 'pytorch_predictor']
