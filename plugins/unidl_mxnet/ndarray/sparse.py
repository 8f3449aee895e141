"""``mx.nd.sparse``: sparse storage (CSR, row-sparse) is out of unidl's scope; every name says so."""
from ..base import unsupported_attrs

_WHY = ("sparse storage types (csr, row_sparse) are not supported by unidl_mxnet; use dense NDArrays "
        "(arr.tostype('default') is accepted on dense arrays)")

__getattr__ = unsupported_attrs("mxnet.ndarray.sparse", {name: _WHY for name in (
    "CSRNDArray", "RowSparseNDArray", "BaseSparseNDArray", "csr_matrix", "row_sparse_array", "array", "zeros",
    "empty", "dot", "add", "subtract", "multiply", "divide", "retain", "slice", "where", "cast_storage")})
