"""The paths the tests share: the repository, ``../shared`` beside it (as in
CI) and the configs the tests build."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / 'shared'
SHARED_COCO = SHARED / 'data' / 'coco'
REFERENCE = SHARED / 'reference'
CONFIGS = REPO / 'configs'
# the narrow HigherHRNet that trains on a CPU in minutes
DEMO_CONFIG = (CONFIGS / 'demo' /
               'higherhrnet_hrnet-w16-tiny_1xb4-30e_synthetic-256x256.py')
# the paper's HigherHRNet-W32 at 512
W32_CONFIG = (CONFIGS / 'higherhrnet' / 'coco' /
              'higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py')
