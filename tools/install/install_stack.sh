#!/usr/bin/env bash
# Installs the OpenMMLab stack and this plugin into one Python environment.
#
#   tools/install/install_stack.sh PYTHON
#
# PYTHON is the interpreter of the target environment (a virtualenv's bin/python).
# An environment without torch gets the torch and torchvision pinned in
# requirements/constraints.txt; an installed torch in the supported range is kept
# and never replaced (tools/install/stack_plan.py decides, and decides whether
# mmcv's CUDA ops are built). Every other version comes from constraints.txt.
# Idempotent: a second run only checks what is there. The mmcv wheel (a ~14 min
# C++ build on 2 cores) is cached outside the clone, in $HIGHERHRNET_CACHE
# (default ~/.cache/higherhrnet_plugin), keyed by mmcv, torch and Python versions
# and the ops built, so every clone on the machine reuses it.
set -euo pipefail

PY=${1:?usage: install_stack.sh PYTHON}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PINS="$ROOT/requirements/constraints.txt"
CACHE=${HIGHERHRNET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/higherhrnet_plugin}
PIP=("$PY" -m pip --disable-pip-version-check)
PLAN=("$PY" "$ROOT/tools/install/stack_plan.py")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

pin() {  # the version pinned for a package: pin mmcv -> 2.1.0
    sed -n "s/^$1==\([^ ;#]*\).*/\1/p" "$PINS"
}

step() { echo "[install] $*"; }

# build_wheel NAME VERSION DIR FILE SED_EXPR [VAR=VALUE...]: NAME==VERSION built
# from its sdist into a wheel in DIR, after the sed edit SED_EXPR of FILE (a path
# in the unpacked sources), with the VAR=VALUE environment. DIR is published
# atomically, so a killed build never leaves a half wheel in the cache.
build_wheel() {
    local name=$1 version=$2 dir=$3 file=$4 expr=$5
    shift 5
    local build="$WORK/$name"
    "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation \
        "$name==$version" -d "$build"
    tar xzf "$build/$name-$version.tar.gz" -C "$build"
    sed -i "$expr" "$build/$name-$version/$file"
    mkdir -p "$dir.partial"
    env "$@" "${PIP[@]}" wheel --no-deps --no-build-isolation -w "$dir.partial" \
        "$build/$name-$version"
    rm -rf "$dir" && mv "$dir.partial" "$dir"
}

step "build tools"
"${PIP[@]}" install -q -c "$PINS" 'setuptools' wheel ninja cython packaging

step "torch"
# fresh | keep | torchvision==X.* (for the kept torch); a refusal (e.g. a torch
# outside the supported range) stops here with one line
TORCH_PLAN=$("${PLAN[@]}" torch "$PINS")
if [ "$TORCH_PLAN" = fresh ]; then
    "${PIP[@]}" install -q -c "$PINS" torch torchvision
fi
# From here on every install is constrained to the torch now in the environment.
CONSTRAINTS="$WORK/constraints.txt"
"${PLAN[@]}" constraints "$PINS" >"$CONSTRAINTS"
if [[ "$TORCH_PLAN" == torchvision==* ]]; then
    "${PIP[@]}" install -q -c "$CONSTRAINTS" "$TORCH_PLAN"
    # a torchvision built for another flavour of this torch (e.g. PyPI's CUDA
    # build beside a +cpu torch) does not import: take it out again
    if ! "${PLAN[@]}" torch "$PINS" >/dev/null; then
        "${PIP[@]}" uninstall -q -y torchvision
        step "uninstalled the torchvision it had just installed"
        exit 1
    fi
    "${PLAN[@]}" constraints "$PINS" >"$CONSTRAINTS"
fi

OPS=$("${PLAN[@]}" ops)  # cpu | cuda
if [ "$OPS" = cuda ]; then
    KEY_ARGS=(--cuda-ops)
    BUILD_ENV=(FORCE_CUDA=1)
else
    KEY_ARGS=()
    # mmcv's setup.py builds CUDA kernels whenever torch sees a GPU
    BUILD_ENV=(FORCE_CUDA=0 CUDA_VISIBLE_DEVICES=)
fi
MMCV_VERSION=$(pin mmcv)
KEY=$("$PY" "$ROOT/tools/install/mmcv_cache_key.py" "$MMCV_VERSION" "${KEY_ARGS[@]}")
WHEEL_DIR="$CACHE/wheels/$KEY"

if "$PY" -c "import mmcv, mmcv.ops, sys
cuda = mmcv.ops.get_compiling_cuda_version() != 'not available'
sys.exit(mmcv.__version__ != '$MMCV_VERSION' or cuda != ('$OPS' == 'cuda'))" 2>/dev/null; then
    step "mmcv $MMCV_VERSION with $OPS ops already installed"
else
    if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
        step "building mmcv $MMCV_VERSION, $OPS ops (CPU ops: about 14 min on 2 cores) -> $WHEEL_DIR"
        # torch >= 2.10 headers need C++20; mmcv 2.1.0 hard-codes C++14/17.
        build_wheel mmcv "$MMCV_VERSION" "$WHEEL_DIR" setup.py 's/-std=c++1[47]/-std=c++20/g' \
            "${BUILD_ENV[@]}" MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}"
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
        build_wheel xtcocotools "$XTC_VERSION" "$XTC_DIR" xtcocotools/_mask.pyx \
            's/np\.NPY_OWNDATA/np.NPY_ARRAY_OWNDATA/g'
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
"${PLAN[@]}" check "$PINS"
