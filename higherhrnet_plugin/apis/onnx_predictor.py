"""The exported-graph backends of :func:`~.folder_inference.infer_images`:
ONNX Runtime or OpenVINO running a graph of ``tools/deployment/
export_onnx.py`` (:class:`~higherhrnet_plugin.deploy.OnnxPoseEstimator`),
drawn with the config's visualizer as the PyTorch backend draws."""
import os
import os.path as osp
import warnings
from typing import Optional

import numpy as np

from ..deploy import DeployError, OnnxPoseEstimator
from ..core.errors import InferenceError
from ..core.prediction import Prediction
from .pytorch_predictor import PyTorchPosePredictor, load_config

#: the file an on-the-fly export writes into the output folder
_EXPORTED_ONNX = 'model.onnx'


def export_for_inference(config: str, checkpoint: str, out_dir: str,
                         tta: bool = False) -> str:
    """Export ``config`` + ``checkpoint`` (flip test, dynamic H/W; with
    ``tta`` the config's ``tta_model`` scales and flip) to
    ``out_dir/model.onnx``; returns its path."""
    from ..deploy.export import export_onnx, test_input_size
    tta_model = load_config(config, tta).get('tta_model') if tta else None
    predictor = PyTorchPosePredictor(config, checkpoint)
    out_file = osp.join(out_dir, _EXPORTED_ONNX)
    views = dict(scales=tuple(tta_model.scales),
                 flip_test=tta_model.get('flip_test', True)) if tta else {}
    try:
        os.makedirs(out_dir, exist_ok=True)
        export_onnx(predictor.model, out_file, dynamic=True,
                    input_size=test_input_size(predictor.pipeline), **views)
    except (DeployError, OSError) as e:
        raise InferenceError(f'export: {e}')
    return out_file


class OnnxPosePredictor:
    """``predict(img, path)`` and ``draw(img, prediction, out_file)`` of an
    exported graph, for :func:`~.folder_inference.infer_images`.

    Args:
        onnx (str): the ONNX file (with our metadata).
        config (str): the model config: its ``visualizer`` and dataset
            metainfo draw the overlays (as ``init_model`` reads them).
        backend (str): ``'onnxruntime'`` or ``'openvino'``.
        threads (int, optional): the engine's intra-op threads.
        kpt_thr (float): joints scoring below this are not drawn.
        precision (str): ``'fp32'``, ``'bf16'`` or ``'int8'`` (a quantized
            graph); see :class:`~higherhrnet_plugin.deploy.
            OnnxPoseEstimator`.

    Raises:
        InferenceError: one line, for a bad config, a missing or foreign
            ONNX file, or an engine that is not installed.
    """

    def __init__(self, onnx: str, config: str, backend: str = 'onnxruntime',
                 threads: Optional[int] = None, kpt_thr: float = 0.1,
                 precision: str = 'fp32'):
        if not osp.isfile(config):
            raise InferenceError(f'config: no such file {config!r}')
        if not osp.isfile(onnx):
            raise InferenceError(f'--onnx: no such file {onnx!r}')
        try:
            self.estimator = OnnxPoseEstimator(onnx, backend, threads,
                                               precision)
        except DeployError as e:
            raise InferenceError(str(e))
        cfg = load_config(config, tta=False)

        import higherhrnet_plugin  # noqa: F401  (registers the visualizer)
        from mmpose.apis.inference import dataset_meta_from_config
        from mmpose.registry import VISUALIZERS
        with warnings.catch_warnings():
            # as in load_pose_model: MMPose finds its own metainfo file
            warnings.filterwarnings('ignore', message='The metainfo config')
            dataset_meta = dataset_meta_from_config(cfg, 'train')
        if not dataset_meta or len(dataset_meta.get(
                'keypoint_id2name', ())) != \
                self.estimator.metadata.num_keypoints:
            raise InferenceError(
                f'config: the dataset of {config!r} does not have the '
                f'{self.estimator.metadata.num_keypoints} keypoints of '
                f'{onnx!r}')
        vis_cfg = cfg.get('visualizer') or dict(
            type='NumPy2PoseLocalVisualizer')
        self.visualizer = VISUALIZERS.build(
            dict(vis_cfg, name='infer_onnx', vis_backends=None,
                 save_dir=None))
        self.visualizer.set_dataset_meta(dataset_meta)
        self.kpt_thr = kpt_thr

    def predict(self, img: np.ndarray, path: str) -> Prediction:
        """The people of one BGR uint8 image, in its pixels."""
        return self.estimator.predict(img, path)

    def draw(self, img: np.ndarray, pred: Prediction, out_file: str) -> None:
        """``img`` with ``pred``'s people, as a PNG at ``out_file``."""
        from mmengine.structures import InstanceData
        from mmpose.structures import PoseDataSample
        sample = PoseDataSample()
        sample.pred_instances = InstanceData(
            keypoints=np.asarray(pred.keypoints, np.float32),
            keypoint_scores=np.asarray(pred.keypoint_scores, np.float32))
        self.visualizer.add_datasample(
            osp.splitext(osp.basename(out_file))[0], img[..., ::-1], sample,
            draw_gt=False, kpt_thr=self.kpt_thr, out_file=out_file)
