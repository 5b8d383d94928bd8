#!/usr/bin/env bash
# Installs the pinned OpenMMLab stack and this plugin into one Python environment.
#
#   tools/install/install_stack.sh PYTHON
#
# PYTHON is the interpreter of the target environment (a virtualenv's bin/python).
# Every version comes from requirements/constraints.txt. Idempotent: a second run
# only checks what is there. The mmcv wheel (a ~14 min C++ build on 2 cores) is
# cached outside the clone, in $HIGHERHRNET_CACHE (default
# ~/.cache/higherhrnet_plugin), keyed by mmcv, torch and Python versions, so every
# clone on the machine reuses it.
set -euo pipefail

PY=${1:?usage: install_stack.sh PYTHON}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CONSTRAINTS="$ROOT/requirements/constraints.txt"
CACHE=${HIGHERHRNET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/higherhrnet_plugin}
PIP=("$PY" -m pip --disable-pip-version-check)

pin() {  # the version pinned for a package: pin mmcv -> 2.1.0
    sed -n "s/^$1==\([^ ;#]*\).*/\1/p" "$CONSTRAINTS"
}

step() { echo "[install] $*"; }

step "build tools and torch"
"${PIP[@]}" install -q -c "$CONSTRAINTS" 'setuptools' wheel ninja cython packaging
if ! "$PY" -c 'import torch, torchvision' 2>/dev/null; then
    "${PIP[@]}" install -q -c "$CONSTRAINTS" torch torchvision
fi

MMCV_VERSION=$(pin mmcv)
KEY=$("$PY" "$ROOT/tools/install/mmcv_cache_key.py" "$MMCV_VERSION")
WHEEL_DIR="$CACHE/wheels/$KEY"

if "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null; then
    step "mmcv $MMCV_VERSION with ops already installed"
else
    if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
        step "building mmcv $MMCV_VERSION with its ops (about 14 min on 2 cores) -> $WHEEL_DIR"
        BUILD=$(mktemp -d)
        trap 'rm -rf "$BUILD"' EXIT
        "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation \
            "mmcv==$MMCV_VERSION" -d "$BUILD"
        tar xzf "$BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD"
        # torch >= 2.10 headers need C++20; mmcv 2.1.0 hard-codes C++14/17.
        sed -i 's/-std=c++1[47]/-std=c++20/g' "$BUILD/mmcv-$MMCV_VERSION/setup.py"
        mkdir -p "$WHEEL_DIR.partial"
        MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "${PIP[@]}" wheel --no-deps \
            --no-build-isolation -w "$WHEEL_DIR.partial" "$BUILD/mmcv-$MMCV_VERSION"
        # Publish atomically so a killed build never leaves a half wheel in the cache.
        rm -rf "$WHEEL_DIR" && mv "$WHEEL_DIR.partial" "$WHEEL_DIR"
    fi
    step "installing mmcv from $WHEEL_DIR"
    # --no-deps: mmcv's metadata asks for upstream mmengine, which we replace.
    "${PIP[@]}" install -q --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl
fi

step "runtime libraries"
"${PIP[@]}" install -q -c "$CONSTRAINTS" \
    onedl-mmengine numpy opencv-python scipy pycocotools json-tricks matplotlib shapely \
    six terminaltables munkres addict pyyaml yapf rich termcolor tqdm pillow \
    click colorama model-index tabulate pandas requests

# xtcocotools' published wheels are built against numpy 1.x and fail under numpy 2
# ("numpy.dtype size changed"): build it against the numpy installed here.
if ! "$PY" -c 'from xtcocotools.coco import COCO' 2>/dev/null; then
    step "building xtcocotools against numpy $("$PY" -c 'import numpy; print(numpy.__version__)')"
    "${PIP[@]}" install -q -c "$CONSTRAINTS" --no-build-isolation --no-deps \
        --no-binary xtcocotools xtcocotools
fi

step "mmdet, mmpose, openmim (their own metadata pins packages that do not build here)"
# --no-deps: mmpose asks for chumpy (does not build, never imported) and mmdet/mmcv
# for upstream mmengine; their real needs are installed above.
"${PIP[@]}" install -q -c "$CONSTRAINTS" --no-deps mmdet mmpose openmim

step "test tools and the plugin (editable)"
"${PIP[@]}" install -q -c "$CONSTRAINTS" pytest hypothesis
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"

step "checking the result"
"${PIP[@]}" install -q -c "$CONSTRAINTS" setuptools  # some installs above move it
"$PY" - "$CONSTRAINTS" <<'PYEOF'
import sys
from importlib.metadata import version
from packaging.requirements import Requirement

for line in open(sys.argv[1]):
    line = line.split('#')[0].strip()
    if not line:
        continue
    req = Requirement(line)
    have = version(req.name)
    if have not in req.specifier:
        sys.exit(f'[install] {req.name} {have} does not satisfy {req} '
                 f'({sys.argv[1]})')
import mmcv.ops, mmdet, mmpose, mmengine, higherhrnet_plugin  # noqa: E401,F401
print(f'[install] ok: torch {version("torch")}, mmcv {mmcv.__version__}, '
      f'mmengine {mmengine.__version__}, mmdet {mmdet.__version__}, '
      f'mmpose {mmpose.__version__}')
PYEOF
