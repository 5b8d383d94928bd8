"""What one data-loading worker delivers for a config's training pipeline,
and the workers, pinned memory and ``/dev/shm`` a GPU needs at its step time
(the rule of docs/training.md, "Data-loading workers").

:func:`benchmark_pipeline` runs the config's train pipeline in this process
(as one worker does), transform by transform, over N samples, and measures
each stage's mean time and the bytes of a packed sample: the input image
and the targets (heatmaps, masks, tag indices), all of which a worker
passes to the main process through shared memory and the main process then
copies to the GPU.

The rule: a GPU consumes ``batch_size / step_time`` samples/s; one worker
delivers ``1 / seconds_per_sample``. :func:`workers_needed` is their ratio
with headroom for the slow samples (crowded images take longer to encode),
and :func:`shm_bytes` what the queued batches occupy in ``/dev/shm``.
"""
import copy
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import BaseDataElement
from mmengine.utils import ProgressBar

# slow samples (crowds: many people to encode) and the main process's share
# of the CPU: keep the workers' mean throughput 1.5x the GPU's demand
_HEADROOM = 1.5
# torch.utils.data.DataLoader's default batches queued per worker
_PREFETCH_FACTOR = 2


@dataclass
class PipelineTiming:
    """Per-sample cost of a train pipeline in one worker.

    Attributes:
        stages (OrderedDict[str, float]): each transform's mean seconds per
            sample, in pipeline order.
        num_samples (int): the samples timed.
        bytes_per_sample (int): mean bytes of a packed sample (input image
            and targets).
    """
    stages: 'OrderedDict[str, float]'
    num_samples: int
    bytes_per_sample: int

    @property
    def seconds_per_sample(self) -> float:
        return sum(self.stages.values())

    @property
    def samples_per_second(self) -> float:
        """What one worker delivers."""
        return 1. / self.seconds_per_sample


def build_train_dataset(cfg: Config, data_root: Optional[str] = None,
                        ann_file: Optional[str] = None,
                        img_prefix: Optional[str] = None):
    """The config's training dataset, optionally on another COCO-format
    set (``data_root``, ``ann_file`` relative to it, ``img_prefix``)."""
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    if data_root is not None:
        dataset_cfg.data_root = data_root
    if ann_file is not None:
        dataset_cfg.ann_file = ann_file
    if img_prefix is not None:
        dataset_cfg.data_prefix = dict(img=img_prefix)
    return DATASETS.build(dataset_cfg)


def _packed_bytes(obj) -> int:
    """Bytes of every tensor and array in a packed sample (recursively
    through data elements, dicts and sequences)."""
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, BaseDataElement):
        return sum(_packed_bytes(v) for v in obj.values())
    if isinstance(obj, dict):
        return sum(_packed_bytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_packed_bytes(v) for v in obj)
    return 0


def benchmark_pipeline(dataset, num_samples: int,
                       progress: bool = True) -> PipelineTiming:
    """Time each transform of ``dataset``'s pipeline over ``num_samples``
    samples (the dataset's items in turn, repeated if it is smaller).

    Raises:
        ValueError: if the dataset is empty or a transform drops a sample
            (returns None): its timings would be incomplete.
    """
    if len(dataset) == 0:
        raise ValueError('the dataset has no samples')
    transforms = dataset.pipeline.transforms
    names = [type(t).__name__ for t in transforms]
    totals = np.zeros(len(transforms))
    nbytes = 0
    bar = ProgressBar(num_samples) if progress else None
    for i in range(num_samples):
        data = dataset.get_data_info(i % len(dataset))
        for k, transform in enumerate(transforms):
            start = time.perf_counter()
            data = transform(data)
            totals[k] += time.perf_counter() - start
            if data is None:
                raise ValueError(f'{names[k]} dropped sample '
                                 f'{i % len(dataset)}')
        nbytes += _packed_bytes(data)
        if bar is not None:
            bar.update()
    stages: 'OrderedDict[str, float]' = OrderedDict()
    for name, total in zip(names, totals):
        # a transform used twice keeps its order, one entry per use
        key = name if name not in stages else f'{name}#{len(stages)}'
        stages[key] = total / num_samples
    return PipelineTiming(stages, num_samples, nbytes // num_samples)


def workers_needed(samples_per_worker: float, batch_size: int,
                   step_time: float, headroom: float = _HEADROOM) -> int:
    """Workers per GPU that keep a GPU fed: ``headroom`` times the samples/s
    it consumes (``batch_size / step_time``) over one worker's samples/s."""
    if samples_per_worker <= 0 or step_time <= 0:
        raise ValueError('samples_per_worker and step_time must be > 0')
    return max(1, math.ceil(headroom * batch_size / step_time /
                            samples_per_worker))


def shm_bytes(bytes_per_sample: int, batch_size: int, workers: int,
              gpus: int, prefetch_factor: int = _PREFETCH_FACTOR) -> int:
    """``/dev/shm`` the queued batches of a node occupy: each worker keeps
    up to ``prefetch_factor`` batches in shared memory for its GPU."""
    return bytes_per_sample * batch_size * prefetch_factor * workers * gpus


def recommend(timing: PipelineTiming, batch_size: int, step_times: List[float],
              gpus: int) -> List[Dict]:
    """Workers per GPU and the node's ``/dev/shm`` for each step time."""
    rows = []
    for step in step_times:
        workers = workers_needed(timing.samples_per_second, batch_size, step)
        rows.append(dict(
            step_time=step, gpu_samples_per_s=batch_size / step,
            workers=workers,
            shm_bytes=shm_bytes(timing.bytes_per_sample, batch_size, workers,
                                gpus)))
    return rows


def format_report(timing: PipelineTiming, batch_size: int,
                  rows: List[Dict], gpus: int) -> str:
    """The stage table and the recommendation as text."""
    lines = [f'{"stage":<36}{"ms/sample":>10}{"share":>8}']
    total = timing.seconds_per_sample
    for name, sec in timing.stages.items():
        lines.append(f'{name:<36}{sec * 1e3:>10.2f}{sec / total:>8.1%}')
    lines += [
        f'{"total":<36}{total * 1e3:>10.2f}',
        f'one worker: {timing.samples_per_second:.1f} samples/s '
        f'({timing.num_samples} samples)',
        f'packed sample (input + targets): '
        f'{timing.bytes_per_sample / 2**20:.2f} MiB; batch of {batch_size}: '
        f'{timing.bytes_per_sample * batch_size / 2**20:.1f} MiB',
        '',
        f'{"step time (s)":>14}{"GPU samples/s":>15}{"workers/GPU":>13}'
        f'{f"/dev/shm, {gpus} GPUs":>20}',
    ]
    for row in rows:
        lines.append(f'{row["step_time"]:>14.2f}'
                     f'{row["gpu_samples_per_s"]:>15.1f}'
                     f'{row["workers"]:>13d}'
                     f'{row["shm_bytes"] / 2**30:>16.2f} GiB')
    return '\n'.join(lines)
