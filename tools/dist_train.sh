#!/usr/bin/env bash
# Distributed training on one node: tools/dist_train.sh CONFIG NUM_PROCS [train.py options]
# Runs on GPUs (NCCL). CPU processes (gloo) only when asked for:
#   CUDA_VISIBLE_DEVICES= bash tools/dist_train.sh CONFIG 2
# Without a GPU otherwise it stops with one line naming the cause (torch's CUDA
# build, the driver's error) before starting any process.
CONFIG=$1
NPROCS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
export PYTHONPATH="$(dirname "$0")/..":${PYTHONPATH:-}

${PYTHON:-python} -c "from higherhrnet_plugin.engine.launch import distributed_device
distributed_device('pytorch')" || exit 1

${PYTHON:-python} -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROCS" --master_port="$PORT" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "${@:3}"
