"""The PyTorch backend of :func:`~.folder_inference.infer_images`: a config
and a checkpoint as MMPose's model, the test (or TTA) pipeline, and the
config's visualizer for the overlays."""
import os.path as osp
import warnings

import numpy as np
import torch
from mmengine.config import Config

from ..checkpoint_conversion import CheckpointKeyError, check_against_model
from ..engine import CheckpointLoadError, load_checkpoint_file
from ..core.errors import InferenceError, first_line
from ..core.prediction import Prediction


def _as_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if torch.is_tensor(x) else np.asarray(x)


def load_config(config: str, tta: bool) -> Config:
    try:
        cfg = Config.fromfile(config)
    except Exception as e:  # syntax errors, missing bases, ...
        raise InferenceError(f'config: cannot read {config!r}: '
                             f'{first_line(e)}')
    if tta:
        for key in ('tta_model', 'tta_pipeline'):
            if key not in cfg:
                raise InferenceError(
                    f'--tta: the config {config} has no `{key}`')
    return cfg


def _check_device(device: str) -> None:
    if device.startswith('cuda') and not torch.cuda.is_available():
        raise InferenceError(f'--device: {device!r} requested but CUDA is '
                             'not available')
    try:
        torch.device(device)
    except RuntimeError as e:
        raise InferenceError(f'--device: {first_line(e)}')


def _read_state_dict(checkpoint: str):
    """(state dict, meta) of a checkpoint file, without a DataParallel
    ``module.`` prefix (as MMEngine's ``load_checkpoint``). Weights-only
    unless inside ``trusted_checkpoints()`` (``--trust-checkpoint``)."""
    try:
        ckpt = load_checkpoint_file(checkpoint, map_location='cpu')
    except CheckpointLoadError as e:  # refused or unreadable: one line
        raise InferenceError(str(e))
    state_dict = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) \
        else None
    if not isinstance(state_dict, dict) or not all(
            torch.is_tensor(v) for v in state_dict.values()):
        raise InferenceError(f'checkpoint: {checkpoint!r} holds no state '
                             'dict of tensors')
    state_dict = {k[len('module.'):] if k.startswith('module.') else k: v
                  for k, v in state_dict.items()}
    meta = ckpt.get('meta') if isinstance(ckpt.get('meta'), dict) else {}
    return state_dict, meta


def load_pose_model(config: str, checkpoint: str, cfg: Config,
                    device: str = 'cpu'):
    """MMPose's ``init_model`` without weights, then ``checkpoint`` loaded
    strictly (``init_model`` only warns about keys that do not fit)."""
    from mmpose.apis import init_model
    state_dict, meta = _read_state_dict(checkpoint)
    try:
        with warnings.catch_warnings():
            # MMPose looks for COCO's metainfo file relative to the working
            # directory first, then finds its own copy and warns
            warnings.filterwarnings(
                'ignore', message='The metainfo config file')
            model = init_model(cfg, None, device='cpu')
    except Exception as e:
        raise InferenceError(f'config: cannot build the model of '
                             f'{config!r}: {first_line(e)}')
    # BatchNorm fills a missing counter itself (as torch does)
    expected = {k: v for k, v in model.state_dict().items()
                if k in state_dict or not k.endswith('num_batches_tracked')}
    try:
        check_against_model(state_dict, expected)
    except CheckpointKeyError as e:
        raise InferenceError(f'checkpoint: {checkpoint!r} does not fit the '
                             f'config {config!r}: {e}')
    model.load_state_dict(state_dict, strict=True)
    if meta.get('dataset_meta'):
        model.dataset_meta = meta['dataset_meta']  # as init_model does
    return model.to(device)


class PyTorchPosePredictor:
    """``predict(img, path)`` and ``draw(img, prediction, out_file)`` of a
    config and checkpoint, for :func:`~.folder_inference.infer_images`.

    Args:
        config: the model config file.
        checkpoint: a checkpoint trained with ``config``.
        device: a torch device, e.g. ``'cpu'`` or ``'cuda:0'``.
        tta: run the config's ``tta_model`` on its ``tta_pipeline`` (as
            ``tools/test.py --tta``).
        kpt_thr: joints scoring below this are not drawn.
    """

    def __init__(self, config: str, checkpoint: str, device: str = 'cpu',
                 tta: bool = False, kpt_thr: float = 0.1):
        for name, path in (('config', config), ('checkpoint', checkpoint)):
            if not osp.isfile(path):
                raise InferenceError(f'{name}: no such file {path!r}')
        cfg = load_config(config, tta)
        _check_device(device)

        import higherhrnet_plugin  # noqa: F401  (registers the modules)
        from mmengine.dataset import Compose
        from mmengine.registry import init_default_scope
        from mmpose.registry import MODELS, VISUALIZERS
        init_default_scope(cfg.get('default_scope', 'mmpose') or 'mmpose')
        model = load_pose_model(config, checkpoint, cfg, device)
        self.dataset_meta = model.dataset_meta
        if tta:
            # as tools/test.py: the tta_model wraps the pose model, and the
            # tta_pipeline replaces the test pipeline
            model = MODELS.build(dict(**cfg.tta_model, module=model))
            self.pipeline = Compose(cfg.tta_pipeline)
        else:
            self.pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
        self.model = model.eval()
        # the config's visualizer (ours: NumPy2PoseLocalVisualizer), drawing
        # only to the files it is given
        vis_cfg = cfg.get('visualizer') or dict(
            type='NumPy2PoseLocalVisualizer')
        self.visualizer = VISUALIZERS.build(
            dict(vis_cfg, name='infer', vis_backends=None, save_dir=None))
        self.visualizer.set_dataset_meta(self.dataset_meta)
        self.kpt_thr = kpt_thr

    def predict(self, img: np.ndarray, path: str) -> Prediction:
        """The people of one BGR uint8 image, in its pixels."""
        from mmengine.dataset import pseudo_collate
        data = dict(img=img, img_path=path, **self.dataset_meta)
        with torch.no_grad():
            sample = self.model.test_step(
                pseudo_collate([self.pipeline(data)]))[0]
        inst = sample.pred_instances
        return Prediction(
            _as_numpy(inst.keypoints), _as_numpy(inst.keypoint_scores),
            _as_numpy(inst.bbox_scores) if 'bbox_scores' in inst else None,
            sample)

    def draw(self, img: np.ndarray, pred: Prediction, out_file: str) -> None:
        """``img`` with ``pred``'s people, as a PNG at ``out_file``."""
        self.visualizer.add_datasample(
            osp.splitext(osp.basename(out_file))[0], img[..., ::-1],
            pred.sample, draw_gt=False, kpt_thr=self.kpt_thr,
            out_file=out_file)
