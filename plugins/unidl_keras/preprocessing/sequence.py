"""``keras.preprocessing.sequence``."""
from ..utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
