from .narrow_stem_hrnet import NarrowStemHRNet

__all__ = ['NarrowStemHRNet']
