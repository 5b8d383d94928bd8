from .associative_embedding import AssociativeEmbeddingCodec

__all__ = ['AssociativeEmbeddingCodec']
