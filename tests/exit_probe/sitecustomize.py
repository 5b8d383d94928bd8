"""Put on a subprocess's PYTHONPATH, records at exit whether the process
still held a torch.distributed process group: ``<EXIT_PROBE_DIR>/rank<RANK>``
holds ``alive`` or ``destroyed``. (A group left alive can abort the process
at interpreter exit; see ``higherhrnet_plugin.engine.close_distributed``.)
Processes without ``EXIT_PROBE_DIR``, ``RANK`` (the launcher) or
torch.distributed write nothing."""
import atexit
import os
import sys


def _record():
    dist = sys.modules.get('torch.distributed')
    if (dist is None or 'EXIT_PROBE_DIR' not in os.environ
            or 'RANK' not in os.environ):
        return
    state = 'alive' if dist.is_initialized() else 'destroyed'
    path = os.path.join(os.environ['EXIT_PROBE_DIR'],
                        f'rank{os.environ["RANK"]}')
    with open(path, 'w') as f:
        f.write(state)


atexit.register(_record)
