"""Pose estimation on image files, as ``tools/infer.py`` runs it.

The modules are imported one by one, so that a backend without torch (the
ONNX runtime) can use the torch-free ones:

- :mod:`.coco_results`: people -> COCO keypoint result records and the
  ``results.json`` file (numpy, json, os only);
- :mod:`.image_files`: which files of a folder are images, and reading one
  (OpenCV, a huge JPEG decoded reduced);
- :mod:`.folder_inference`: the loop over the files for any backend;
- :mod:`.pytorch_predictor`: the PyTorch backend (a config and a
  checkpoint, MMPose's model and the config's visualizer).
"""
