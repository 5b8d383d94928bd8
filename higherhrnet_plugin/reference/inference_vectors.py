# Copyright (c) OpenMMLab. All rights reserved.
"""Check the test-time post-processing against the original's golden vectors.

``flip_*.npz`` / ``ms_*.npz`` in ``<repo>/../shared/reference`` hold raw
network outputs and the keypoints/scores the original HigherHRNet pipeline
produced from them (see that folder's README). A vector with a ``dataset``
key (``crowdpose``) is decoded by the codec of that dataset's config with
the file's ``flip_indices``; one without is COCO's.
"""
from functools import lru_cache
from pathlib import Path
from typing import Tuple, Union

import numpy as np
import torch

from higherhrnet_plugin.core.resize_geometry import \
    get_final_preds
from higherhrnet_plugin.models.utils.heatmap_aggregation import (
    TestView, aggregate_views)

COCO_FLIP_INDICES = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)
#: the config whose decoder decodes each dataset's vectors
_DATASET_CONFIGS = dict(
    coco='configs/higherhrnet/coco/'
    'higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py',
    crowdpose='configs/higherhrnet/crowdpose/'
    'higherhrnet_hrnet-w32_8xb12-300e_crowdpose-512x512.py')


@lru_cache()
def config_codec(config: str):
    """The ``AssociativeEmbeddingCodec`` of a config's ``model.head.decoder``
    (a path, or ``configs/...`` of this package)."""
    from mmengine.config import Config
    from mmpose.registry import KEYPOINT_CODECS

    import higherhrnet_plugin  # noqa: F401  (registers the codec)
    from higherhrnet_plugin.analysis.head_configs import resolve_config
    cfg = Config.fromfile(resolve_config(config))
    return KEYPOINT_CODECS.build(cfg.model.head.decoder)


def _vector_dataset(data) -> str:
    """The dataset of a vector: its ``dataset`` key, else ``coco``."""
    dataset = str(data['dataset']) if 'dataset' in data.files else 'coco'
    if dataset not in _DATASET_CONFIGS:
        raise ValueError(f'dataset {dataset!r} has no config (known: '
                         f'{", ".join(_DATASET_CONFIGS)})')
    return dataset


def decode_inference_vector(data, codec=None
                            ) -> Tuple[np.ndarray, np.ndarray]:
    """Run the stored raw outputs through aggregation, the codec's decode
    and the mapping back to image pixels.

    Args:
        data: the loaded ``.npz``.
        codec (AssociativeEmbeddingCodec, optional): defaults to the
            decoder of the vector's dataset's config (``_DATASET_CONFIGS``).

    Returns:
        keypoints (N, K, 3) (x, y in image pixels, value) and scores (N,).
    """
    if codec is None:
        codec = config_codec(_DATASET_CONFIGS[_vector_dataset(data)])
    flip_indices = [int(k) for k in data['flip_indices']] \
        if 'flip_indices' in data.files else COCO_FLIP_INDICES
    scales = [float(s) for s in np.asarray(data['scales']).reshape(-1)]
    views = []
    for s in scales:
        key = 's%g' % s

        def level(name, i):
            return torch.from_numpy(
                np.asarray(data[f'{key}_{name}_{i}']).astype(np.float32))

        views.append(TestView(s, [level('outputs', 0), level('outputs', 1)],
                              [level('flip_outputs', 0),
                               level('flip_outputs', 1)]))
    input_size = tuple(int(v) for v in data['s1_input_size'])
    num_joints = views[0].outputs[1].shape[1]
    heatmaps, tags = aggregate_views(views, input_size, num_joints,
                                     flip_indices)
    keypoints, values, scores = codec.decode(heatmaps[0], tags[0])
    keypoints = np.concatenate([keypoints, values[..., None]], axis=-1)
    preds = get_final_preds(keypoints, data['center'], data['scale'],
                            (heatmaps.shape[3], heatmaps.shape[2]))
    return preds[..., :3], scores


def _match(exp: np.ndarray, got: np.ndarray) -> np.ndarray:
    """Greedy order-free matching of people by max keypoint distance."""
    from scipy.optimize import linear_sum_assignment
    d = np.abs(exp[:, None, :, :2] - got[None, :, :, :2]).max(axis=(2, 3))
    r, c = linear_sum_assignment(d)
    perm = np.empty(len(exp), dtype=np.int64)
    perm[r] = c
    return perm


def check_inference_vector(path: Union[str, Path],
                           kpt_tol: float = 0.01,
                           score_tol: float = 1e-4,
                           codec=None) -> Tuple[bool, str]:
    """Compare our decode of one golden vector with the original's output
    (``codec``: see :func:`decode_inference_vector`).

    Returns (ok, message)."""
    path = Path(path)
    data = np.load(path, allow_pickle=False)
    exp_k = np.asarray(data['expected_keypoints'], dtype=np.float64)
    exp_s = np.asarray(data['expected_scores'], dtype=np.float64)
    got_k, got_s = decode_inference_vector(data, codec)
    got_k = got_k.astype(np.float64)
    got_s = got_s.astype(np.float64)
    name = _vector_dataset(data)
    if len(got_k) != len(exp_k):
        return False, (f'{name}: {len(got_k)} people, expected '
                       f'{len(exp_k)}')
    if len(exp_k) == 0:
        return True, f'{name}: 0 people as expected'
    perm = _match(exp_k, got_k)
    got_k = got_k[perm]
    got_s = got_s[perm]
    kerr = float(np.abs(got_k[..., :2] - exp_k[..., :2]).max())
    verr = float(np.abs(got_k[..., 2] - exp_k[..., 2]).max())
    serr = float(np.abs(got_s - exp_s).max())
    ok = kerr <= kpt_tol and verr <= score_tol and serr <= score_tol
    msg = (f'{name}: {len(exp_k)} people, max keypoint error {kerr:.3g} px, '
           f'max value error {verr:.3g}, max score error {serr:.3g}')
    return ok, msg
