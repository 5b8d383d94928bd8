"""tools/analysis/get_flops.py reports the exact parameter count."""
import subprocess
import sys

from repo_paths import REPO


def test_get_flops_reports_params_and_flops():
    config = ('configs/higherhrnet/coco/'
              'higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py')
    out = subprocess.run(
        [sys.executable, str(REPO / 'tools/analysis/get_flops.py'),
         str(REPO / config), '--shape', '128'],
        check=True, capture_output=True, text=True).stdout
    assert 'params: 28,645,331' in out
    flops = int(out.split('flops: ')[1].split()[0].replace(',', ''))
    # 1/16 of the 512x512 count (46,456,291,328), up to rounding
    assert abs(flops * 16 - 46_456_291_328) / 46_456_291_328 < 0.01
