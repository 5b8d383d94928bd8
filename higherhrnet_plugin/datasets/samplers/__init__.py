from .input_shape_batch_sampler import InputShapeBatchSampler

__all__ = ['InputShapeBatchSampler']
