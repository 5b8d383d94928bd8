"""The demo config's model at a random init, made to find "people" on any
image: meaningless poses, but many candidates per joint, which is what the
tests of inference, decoding and deployment need."""
from pathlib import Path
from typing import Union

import torch
from repo_paths import DEMO_CONFIG

NUM_KEYPOINTS = 17
# PyTorch's default init gives maps within +-2 whose candidates tie to float
# noise; spread 10x, peaks and tags stand apart as a trained model's do
WEIGHT_GAIN = 10.0


def random_demo_model(config: Union[str, Path] = DEMO_CONFIG,
                      weight_gain: float = 1.0) -> torch.nn.Module:
    """``config``'s model (the demo's by default) in eval mode, random
    weights (seed 0), its output layers' weights scaled by ``weight_gain``
    and its heatmap biases raised by 0.5, so that heatmaps stand above the
    detection threshold everywhere."""
    from mmpose.apis import init_model
    torch.manual_seed(0)
    model = init_model(str(config), None, device='cpu')
    with torch.no_grad():
        for layer in model.head.final_layers:
            layer.weight *= weight_gain
            layer.bias[:NUM_KEYPOINTS] += 0.5
    return model.eval()


def save_checkpoint(model: torch.nn.Module, path: Path) -> Path:
    """``model``'s weights and dataset meta at ``path``, as a training run
    saves them."""
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': model.dataset_meta}}, str(path))
    return path
