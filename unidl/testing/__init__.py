"""Helpers shared by unidl's tests and the conformance suite (gradient checks, hypothesis strategies)."""
from .gradcheck import assert_grad_close, grad_norm_fn, numeric_grad

__all__ = ["assert_grad_close", "grad_norm_fn", "numeric_grad"]
