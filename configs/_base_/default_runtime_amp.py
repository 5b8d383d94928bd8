# default_runtime.py in the original's fp16 mixed precision (FP16.ENABLED
# with DYNAMIC_LOSS_SCALE in its 640 experiments): MMEngine's fp16 autocast
# with a dynamic loss scale; weights, gradients and Adam stay fp32.
# AmpOptimWrapper needs a GPU: on CPU, train with
# --cfg-options optim_wrapper.type=OptimWrapper (docs/training.md)
_base_ = ['./default_runtime.py']

optim_wrapper = dict(type='AmpOptimWrapper')
