"""``keras.legacy``: Keras 2 era formats kept for reading and writing old files (``legacy.saving``)."""
from . import saving  # noqa: F401
