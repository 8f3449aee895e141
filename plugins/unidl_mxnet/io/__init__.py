"""``mx.io``: MXNet 1.x's data iterators (``DataIter``, ``NDArrayIter``, ``DataBatch``, ``DataDesc``).

Iterators over in-memory arrays work as in MXNet 1.9.1; record-file iterators (``ImageRecordIter``,
``MNISTIter``, ``CSVIter``, ...) read files unidl does not decode: using one raises an error saying so.
"""
from . import io as _io
from .io import DataBatch, DataDesc, DataIter, NDArrayIter, PrefetchingIter, ResizeIter

__all__ = ["DataBatch", "DataDesc", "DataIter", "NDArrayIter", "PrefetchingIter", "ResizeIter"]
__getattr__ = _io.__getattr__
