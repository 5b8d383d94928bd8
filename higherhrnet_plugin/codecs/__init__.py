from ..stack import MMPOSE_INSTALLED

if MMPOSE_INSTALLED:  # the runtime needs the numpy decoder (grouping) alone
    from .associative_embedding import AssociativeEmbeddingCodec

    __all__ = ['AssociativeEmbeddingCodec']
