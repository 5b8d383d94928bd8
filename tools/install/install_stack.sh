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
# ("numpy.dtype size changed"), and its source uses np.NPY_OWNDATA, which numpy 2
# removed (mask.decode/area raise AttributeError; MMPose's crowd masks need them).
# Build it against the numpy installed here with that one name updated; the wheel
# is cached beside mmcv's, keyed by numpy and the Python ABI.
XTC_VERSION=$(pin xtcocotools)
XTC_KEY=$("$PY" -c 'import numpy, sysconfig; print("numpy-" + numpy.__version__ + "_" + sysconfig.get_config_var("SOABI"))')
XTC_DIR="$CACHE/wheels/xtcocotools-${XTC_VERSION}_$XTC_KEY"
if "$PY" -c 'import xtcocotools.mask as m; m.decode(m.frPyObjects([[0, 0, 4, 0, 4, 4]], 8, 8))' 2>/dev/null; then
    step "xtcocotools $XTC_VERSION already installed"
else
    if ! ls "$XTC_DIR"/xtcocotools-*.whl >/dev/null 2>&1; then
        step "building xtcocotools $XTC_VERSION against numpy -> $XTC_DIR"
        XTC_BUILD=$(mktemp -d)
        "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation \
            "xtcocotools==$XTC_VERSION" -d "$XTC_BUILD"
        tar xzf "$XTC_BUILD/xtcocotools-$XTC_VERSION.tar.gz" -C "$XTC_BUILD"
        sed -i 's/np\.NPY_OWNDATA/np.NPY_ARRAY_OWNDATA/g' \
            "$XTC_BUILD/xtcocotools-$XTC_VERSION/xtcocotools/_mask.pyx"
        mkdir -p "$XTC_DIR.partial"
        "${PIP[@]}" wheel -q --no-deps --no-build-isolation -w "$XTC_DIR.partial" \
            "$XTC_BUILD/xtcocotools-$XTC_VERSION"
        rm -rf "$XTC_DIR" "$XTC_BUILD" && mv "$XTC_DIR.partial" "$XTC_DIR"
    fi
    "${PIP[@]}" install -q --no-deps --force-reinstall "$XTC_DIR"/xtcocotools-*.whl
fi

step "mmdet, mmpose, openmim (their own metadata pins packages that do not build here)"
# --no-deps: mmpose asks for chumpy (does not build, never imported) and mmdet/mmcv
# for upstream mmengine; their real needs are installed above.
"${PIP[@]}" install -q -c "$CONSTRAINTS" --no-deps mmdet mmpose openmim

step "deployment: the ONNX export and the runtime's engines"
"${PIP[@]}" install -q -c "$CONSTRAINTS" onnx onnxruntime openvino

step "test tools and the plugin (editable)"
"${PIP[@]}" install -q -c "$CONSTRAINTS" pytest hypothesis mkdocs mkdocs-material
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
