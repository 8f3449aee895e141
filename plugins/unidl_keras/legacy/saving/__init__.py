"""``keras.legacy.saving``: the Keras 2 ``.h5`` whole-model and weights format (``legacy_h5_format``)."""
from . import legacy_h5_format  # noqa: F401
