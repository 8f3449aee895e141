"""Gradient checks against central finite differences (float64)."""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np

import unidl
from unidl.tensor import Tensor


def _scalar_loss(fn: Callable[..., Tensor], arrays: Sequence[np.ndarray], weight: np.ndarray,
                 kwargs: dict) -> float:
    with unidl.no_grad():
        out = fn(*[unidl.tensor(a) for a in arrays], **kwargs)
    return float((np.asarray(out.numpy(), dtype=np.float64) * weight).sum())


def numeric_grad(fn: Callable[..., Tensor], arrays: Sequence[np.ndarray], weight: np.ndarray,
                 eps: float = 1e-6, kwargs: Optional[dict] = None, wrt: Optional[Sequence[int]] = None) -> list:
    """Central differences of ``sum(fn(*arrays) * weight)`` w.r.t. each array in ``wrt`` (all by default)."""
    kwargs = kwargs or {}
    # float arrays go to float64 in C order (reshape(-1) must be a view); integer ones (indices) stay as they are
    arrays = [np.array(a, dtype=np.float64, order="C") if np.asarray(a).dtype.kind == "f" else np.asarray(a)
              for a in arrays]
    grads = []
    for i, a in enumerate(arrays):
        if (wrt is not None and i not in wrt) or a.dtype.kind != "f":
            grads.append(None)
            continue
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            fp = _scalar_loss(fn, arrays, weight, kwargs)
            flat[j] = orig - eps
            fm = _scalar_loss(fn, arrays, weight, kwargs)
            flat[j] = orig
            gflat[j] = (fp - fm) / (2 * eps)
        grads.append(g)
    return grads


def assert_grad_close(fn: Callable[..., Tensor], *arrays: Any, rtol: float = 1e-5, atol: float = 1e-6,
                      eps: float = 1e-6, seed: int = 0, wrt: Optional[Sequence[int]] = None, **kwargs: Any) -> None:
    """Assert that unidl's gradient of ``fn`` matches central finite differences in float64.

    ``fn(*tensors, **kwargs)`` must return a Tensor; the check uses the scalar
    ``sum(fn(...) * w)`` with a fixed random ``w`` so every output element contributes.
    ``wrt`` restricts the check to some argument positions (others are constants, e.g. indices).
    ``eps`` is the finite-difference step; pass an op argument that is also called ``eps`` through a
    lambda (``lambda x: op(x, eps=1e-3)``).
    """
    arrays64 = [np.array(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a)
                for a in arrays]
    diff_idx = [i for i, a in enumerate(arrays64) if a.dtype.kind == "f" and (wrt is None or i in wrt)]
    tensors = [unidl.tensor(a, requires_grad=(i in diff_idx)) for i, a in enumerate(arrays64)]
    with unidl.record():
        out = fn(*tensors, **kwargs)
    w = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(unidl.tensor(w.astype(out.dtype)))

    def fn_const(*ts):
        return fn(*ts, **kwargs)

    numeric = numeric_grad(fn_const, arrays64, w, eps=eps, wrt=diff_idx)
    for i in diff_idx:
        got = tensors[i].grad
        assert got is not None, f"argument {i}: no gradient was computed"
        np.testing.assert_allclose(got.numpy(), numeric[i], rtol=rtol, atol=atol,
                                   err_msg=f"gradient of argument {i} differs from finite differences")


def grad_norm_fn(fn: Callable[..., Tensor], n_wrt: Optional[int] = None, seed: int = 3) -> Callable[..., Tensor]:
    """A function of ``fn``'s inputs: the squared norm of ``fn``'s input gradients, built with
    ``create_graph=True`` — give it to :func:`assert_grad_close` to check double backward.

    The gradients are those of ``sum(fn(*xs) * w)`` (fixed random ``w``) w.r.t. the first ``n_wrt``
    floating-point inputs (all of them by default).
    """
    def g(*xs: Tensor) -> Tensor:
        floats = [x for x in xs if x.dtype.kind == "f"]
        for x in floats:
            x.requires_grad = True
        wrt = floats if n_wrt is None else list(xs[:n_wrt])
        with unidl.record():
            y = fn(*xs)
            w = unidl.tensor(np.random.default_rng(seed).standard_normal(y.shape))
            gs = unidl.autograd.grad(unidl.ops.sum(unidl.ops.multiply(y, w)), wrt, create_graph=True)
        out = unidl.ops.sum(unidl.ops.multiply(gs[0], gs[0]))
        for gi in gs[1:]:
            out = unidl.ops.add(out, unidl.ops.sum(unidl.ops.multiply(gi, gi)))
        return out

    return g
