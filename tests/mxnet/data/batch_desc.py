"""JSON-able descriptions of what DataLoader / Dataset calls return, shared by data_make_fixtures.py (real
MXNet 1.9.1) and tests/mxnet/gluon/test_data.py, so both describe batches the same way."""
import numpy as np


def describer(mx):
    """``desc(b)`` for the ``mx`` module given: an NDArray as ["nd", shape, dtype, flat values], a list or
    tuple as [type name, items described...], anything else as [type name, value]."""

    def desc(b):
        if isinstance(b, mx.nd.NDArray):
            return ["nd", list(b.shape), np.dtype(b.dtype).name, b.asnumpy().ravel().tolist()]
        if isinstance(b, (list, tuple)):
            return [type(b).__name__] + [desc(x) for x in b]
        return [type(b).__name__, b.item() if isinstance(b, np.generic) else b]

    return desc
