"""Keras 3 losses: the function forms (per-sample losses, no batch reduction) and the ``Loss`` classes.

Every function checks and aligns the label/prediction shapes, then calls the framework-neutral math
in :mod:`unidl.nn.losses` (the same functions the Gluon frontend calls) with Keras's conventions:
reduction over the last axis, the fuzz factor ``keras.config.epsilon()``, hinge labels mapped from
0/1 to -1/+1.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from unidl import ops
from unidl.nn import losses as L
from unidl.nn import losses_extra as LX
from unidl.tensor import Tensor

from ..backend import config
from ..backend.common import convert_to_tensor
from ..backend.masks import set_mask
from .loss import Loss, squeeze_or_expand_to_same_rank


# -- shape handling ----------------------------------------------------------------------------------

def _broadcastable(a: Tuple[int, ...], b: Tuple[int, ...]) -> bool:
    return all(x == y or x == 1 or y == 1 for x, y in zip(reversed(a), reversed(b)))


def _shape_error(loss: str, y_true: Tensor, y_pred: Tensor, hint: str = "") -> ValueError:
    return ValueError(f"{loss}: `y_true` and `y_pred` have incompatible shapes: y_true.shape={tuple(y_true.shape)}, "
                      f"y_pred.shape={tuple(y_pred.shape)}.{(' ' + hint) if hint else ''}")


def _prepare(loss: str, y_true: Any, y_pred: Any, *, same_shape: bool = False) -> Tuple[Tensor, Tensor]:
    """``(y_true, y_pred)`` as tensors (y_true in y_pred's dtype), ranks aligned, shapes checked.

    ``same_shape``: the two must match exactly (crossentropies); otherwise they must broadcast.
    """
    p = convert_to_tensor(y_pred)
    if p.dtype.kind != "f":
        p = ops.astype(p, config.floatx())
    t = convert_to_tensor(y_true)
    if t.dtype != p.dtype:
        t = ops.astype(t, p.dtype)
    t, p = squeeze_or_expand_to_same_rank(t, p)
    if same_shape and t.shape != p.shape:
        hint = ""
        if t.ndim == p.ndim - 1 and t.shape == p.shape[:-1]:
            hint = ("`y_true` looks like integer class indices: use the sparse_categorical_crossentropy loss "
                    "(or one-hot encode the labels).")
        raise ValueError(f"{loss}: Arguments `target` and `output` must have the same shape. Received: "
                         f"y_true.shape={tuple(t.shape)}, y_pred.shape={tuple(p.shape)}.{(' ' + hint) if hint else ''}")
    if not same_shape and not _broadcastable(t.shape, p.shape):
        raise _shape_error(loss, t, p)
    return t, p


def _eps() -> float:
    return config.epsilon()


# -- regression --------------------------------------------------------------------------------------

def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(square(y_true - y_pred), axis=-1)``: (B, ..., D) -> (B, ...)."""
    t, p = _prepare("mean_squared_error", y_true, y_pred)
    return L.mean_squared_error(t, p, axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(abs(y_true - y_pred), axis=-1)``: (B, ..., D) -> (B, ...)."""
    t, p = _prepare("mean_absolute_error", y_true, y_pred)
    return L.mean_absolute_error(t, p, axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)), axis=-1)``: (B, ..., D) -> (B, ...)."""
    t, p = _prepare("mean_absolute_percentage_error", y_true, y_pred)
    return L.mean_absolute_percentage_error(t, p, axis=-1, epsilon=_eps())


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    t, p = _prepare("mean_squared_logarithmic_error", y_true, y_pred)
    return L.mean_squared_logarithmic_error(t, p, axis=-1, epsilon=_eps())


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: in [-1, 1], -1 = same direction."""
    t, p = _prepare("cosine_similarity", y_true, y_pred)
    if t.shape != p.shape:
        t, p = ops.broadcast_to(t, np.broadcast_shapes(t.shape, p.shape)), ops.broadcast_to(
            p, np.broadcast_shapes(t.shape, p.shape))
    return L.cosine_similarity(t, p, axis=axis, epsilon=_eps())


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """Huber loss, quadratic for ``|e| <= delta`` and linear beyond; mean over the last axis."""
    t, p = _prepare("huber_loss", y_true, y_pred)
    return L.huber(t, p, delta=delta, axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed without overflow."""
    t, p = _prepare("log_cosh", y_true, y_pred)
    return L.log_cosh(t, p, axis=-1)


# -- hinge -------------------------------------------------------------------------------------------

def hinge(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``; labels in {-1, 1} (0/1 labels are mapped)."""
    t, p = _prepare("hinge", y_true, y_pred)
    return L.hinge(t, p, binary_labels=True, axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(square(max(1 - y_true * y_pred, 0)), axis=-1)``; 0/1 labels are mapped to -1/1."""
    t, p = _prepare("squared_hinge", y_true, y_pred)
    return L.squared_hinge(t, p, binary_labels=True, axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis (one-hot labels)."""
    t, p = _prepare("categorical_hinge", y_true, y_pred, same_shape=True)
    return L.categorical_hinge(t, p, axis=-1)


# -- probabilistic -----------------------------------------------------------------------------------

def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    """``sum(t * log(t / p), axis=-1)`` with both clipped to [eps, 1]: (B, ..., C) -> (B, ...)."""
    t, p = _prepare("kl_divergence", y_true, y_pred)
    if t.shape != p.shape:
        t = ops.broadcast_to(t, np.broadcast_shapes(t.shape, p.shape))
        p = ops.broadcast_to(p, t.shape)
    return L.kl_divergence(t, p, axis=-1, epsilon=_eps())


def poisson(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``."""
    t, p = _prepare("poisson", y_true, y_pred)
    return L.poisson(t, p, axis=-1, epsilon=_eps())


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0,
                             axis: int = -1) -> Tensor:
    """``-sum(y_true * log(p), axis)`` for one-hot (or soft) labels: (B, ..., C) -> (B, ...).

    ``from_logits``: ``p = softmax(y_pred)``; otherwise ``y_pred`` is renormalised and clipped to
    [eps, 1 - eps]. ``label_smoothing`` s: labels become ``y_true (1 - s) + s / C``.
    """
    t, p = _prepare("categorical_crossentropy", y_true, y_pred, same_shape=True)
    if p.ndim == 0:
        raise _shape_error("categorical_crossentropy", t, p, "`y_pred` needs a class axis.")
    return L.categorical_crossentropy(t, p, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
                                      epsilon=_eps())


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: Optional[int] = None, axis: int = -1) -> Tensor:
    """``-log p[y_true]`` for integer labels: y_true (B, ...) or (B, ..., 1), y_pred (B, ..., C) -> (B, ...).

    ``ignore_class``: entries whose label equals it give 0 and are masked out of the reduction (the
    result carries a Keras mask, so ``'sum_over_batch_size'`` averages over the other entries).
    """
    name = "sparse_categorical_crossentropy"
    p = convert_to_tensor(y_pred)
    if p.dtype.kind != "f":
        p = ops.astype(p, config.floatx())
    t = convert_to_tensor(y_true)
    if p.ndim == 0:
        raise _shape_error(name, t, p, "`y_pred` needs a class axis.")
    ax = axis + p.ndim if axis < 0 else axis
    if t.ndim == p.ndim and t.shape[ax] == 1:
        t = ops.squeeze(t, ax)
    want = p.shape[:ax] + p.shape[ax + 1:]
    if t.shape != want:
        hint = (" `y_true` has the shape of `y_pred`: for one-hot labels use the categorical_crossentropy loss."
                if t.shape == p.shape else f" Sparse labels must have shape {want} (or {want + (1,)}).")
        raise _shape_error(name, t, p, hint.strip())
    if t.dtype.kind not in "iu":  # labels cast to the loss dtype (e.g. bfloat16) are class indices again
        t = ops.astype(t, "int64")
    valid = None
    if ignore_class is not None:
        valid = ops.not_equal(t, ignore_class)
        t = ops.where(valid, t, ops.zeros_like(t))
    res = L.sparse_categorical_crossentropy(t, p, from_logits=from_logits, axis=ax, epsilon=_eps())
    if valid is not None:
        res = ops.where(valid, res, ops.zeros_like(res))
        set_mask(res, valid)
    return res


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0,
                        axis: int = -1) -> Tensor:
    """Binary crossentropy, mean over ``axis``: (B, ..., D) -> (B, ...).

    ``label_smoothing`` s squeezes labels towards 0.5: ``y_true (1 - s) + s / 2``.
    """
    t, p = _prepare("binary_crossentropy", y_true, y_pred, same_shape=True)
    return L.binary_crossentropy(t, p, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
                                 epsilon=_eps())


def binary_focal_crossentropy(y_true: Any, y_pred: Any, apply_class_balancing: bool = False, alpha: float = 0.25,
                              gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: int = -1) -> Tensor:
    """Focal binary crossentropy ``(1 - p_t)^gamma * bce``, mean over ``axis``: (B, ..., D) -> (B, ...)."""
    t, p = _prepare("binary_focal_crossentropy", y_true, y_pred, same_shape=True)
    return LX.binary_focal_crossentropy(t, p, apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                                        from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
                                        epsilon=_eps())


def categorical_focal_crossentropy(y_true: Any, y_pred: Any, alpha: float = 0.25, gamma: float = 2.0,
                                   from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """Focal categorical crossentropy ``sum(alpha (1 - p)^gamma * (-t log p), axis)``: (B, ..., C) -> (B, ...)."""
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
    p = convert_to_tensor(y_pred)
    if p.dtype.kind != "f":
        p = ops.astype(p, config.floatx())
    t = convert_to_tensor(y_true)
    t = ops.astype(t, p.dtype) if t.dtype != p.dtype else t
    if p.ndim and p.shape[-1] == 1:
        import warnings

        warnings.warn("In loss categorical_focal_crossentropy, expected y_pred.shape to be (batch_size, num_classes) "
                      f"with num_classes > 1. Received: y_pred.shape={tuple(p.shape)}. Consider using "
                      "'binary_crossentropy' if you only have 2 classes.", SyntaxWarning, stacklevel=2)
    return LX.categorical_focal_crossentropy(t, p, alpha=alpha, gamma=gamma, from_logits=from_logits,
                                             label_smoothing=label_smoothing, axis=axis, epsilon=_eps())


def _float_pair(y_true: Any, y_pred: Any) -> Tuple[Tensor, Tensor]:
    p = convert_to_tensor(y_pred)
    if p.dtype.kind != "f":
        p = ops.astype(p, config.floatx())
    t = convert_to_tensor(y_true)
    return (ops.astype(t, p.dtype) if t.dtype != p.dtype else t), p


def dice(y_true: Any, y_pred: Any, axis: Any = None) -> Tensor:
    """Dice loss ``1 - 2 sum(t p) / (sum(t) + sum(p) + eps)`` over ``axis`` (None: one value for everything)."""
    t, p = _float_pair(y_true, y_pred)
    return LX.dice(t, p, axis=axis, epsilon=_eps())


def tversky(y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Any = None) -> Tensor:
    """Tversky loss ``1 - TP / (TP + alpha FP + beta FN + eps)`` over ``axis`` (None: everything)."""
    t, p = _float_pair(y_true, y_pred)
    return LX.tversky(t, p, alpha=alpha, beta=beta, axis=axis, epsilon=_eps())


def circle(y_true: Any, y_pred: Any, ref_labels: Any = None, ref_embeddings: Any = None, remove_diagonal: bool = True,
           gamma: float = 80, margin: float = 0.4) -> Tensor:
    """Circle loss of L2-normalised embeddings ``y_pred`` (N, D) with integer labels ``y_true`` (N,): (N,).

    The result carries a Keras mask of its positive entries (rows without pairs do not count in the mean).
    """
    p = convert_to_tensor(y_pred)
    if p.dtype.kind != "f":
        p = ops.astype(p, config.floatx())
    t = convert_to_tensor(y_true)
    ref_e = None if ref_embeddings is None else convert_to_tensor(ref_embeddings)
    ref_l = None if ref_labels is None else convert_to_tensor(ref_labels)
    res = LX.circle(t, p, ref_labels=ref_l, ref_embeddings=ref_e, remove_diagonal=remove_diagonal, gamma=gamma,
                    margin=margin)
    set_mask(res, ops.greater(res, 0.0))
    return res


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> Tensor:
    """Generalized crossentropy ``(1 - p_y^q) / q`` for integer labels ``y_true`` (B,) and probabilities (B, C)."""
    p = convert_to_tensor(y_pred)
    if p.dtype.kind != "f":
        p = ops.astype(p, config.floatx())
    return LX.categorical_generalized_cross_entropy(convert_to_tensor(y_true), p, q=q)


def ctc(y_true: Any, y_pred: Any) -> Tensor:
    """CTC loss of integer targets ``y_true`` (B, L; 0 is both the blank and the padding) under logits
    ``y_pred`` (B, T, C): (B,)."""
    from unidl.nn.ctc import ctc_loss

    t = convert_to_tensor(y_true)
    p = convert_to_tensor(y_pred)
    if t.ndim != 2:
        raise ValueError("Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` in integer "
                         f"format. Received: y_true.shape={tuple(t.shape)}")
    if p.ndim != 3:
        raise ValueError("Logits `y_pred` are expected to be a tensor of shape `(batch_size, max_length, "
                         f"num_classes)`. Received: y_pred.shape={tuple(p.shape)}")
    if p.dtype.kind != "f":
        p = ops.astype(p, config.floatx())
    label_length = ops.sum(ops.astype(ops.not_equal(t, 0), "int32"), axis=-1)
    log_probs = ops.transpose(ops.log_softmax(p, axis=-1), (1, 0, 2))
    return ctc_loss(log_probs, t, None, label_length, blank=0)


# -- classes -----------------------------------------------------------------------------------------

class LossFunctionWrapper(Loss):
    """A :class:`Loss` around a per-sample loss function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn: Callable[..., Any], reduction: Optional[str] = "sum_over_batch_size",
                 name: Optional[str] = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        if isinstance(y_true, Tensor) and isinstance(y_pred, Tensor):
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> Dict[str, Any]:
        from . import serialize

        cfg = super().get_config()
        cfg["fn"] = serialize(self.fn)
        cfg.update(self._fn_kwargs)
        return cfg

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "LossFunctionWrapper":
        from . import deserialize

        config = dict(config)
        if "fn" in config and not callable(config["fn"]):
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


class _Named(LossFunctionWrapper):
    """A Keras built-in loss: a fixed function; the config holds name, reduction and the fn's options."""

    _fn: Callable[..., Any] = staticmethod(lambda t, p: None)

    def __init__(self, reduction: Optional[str] = "sum_over_batch_size", name: Optional[str] = None,
                 dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(type(self)._fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for k, v in kwargs.items():
            setattr(self, k, v)

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "LossFunctionWrapper":
        config = {k: v for k, v in config.items() if k != "fn"}
        return cls(**config)


class MeanSquaredError(_Named):
    """Mean of squared errors over the last axis, then ``reduction`` over the batch."""
    _fn = staticmethod(mean_squared_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(_Named):
    """Mean of absolute errors over the last axis, then ``reduction``."""
    _fn = staticmethod(mean_absolute_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_Named):
    """``100 * mean(|(t - p) / t|)`` over the last axis, then ``reduction``."""
    _fn = staticmethod(mean_absolute_percentage_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_Named):
    """Mean squared difference of ``log(1 + x)`` over the last axis, then ``reduction``."""
    _fn = staticmethod(mean_squared_logarithmic_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(_Named):
    """Negative cosine similarity along ``axis``, then ``reduction``."""
    _fn = staticmethod(cosine_similarity)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)

    def get_config(self) -> Dict[str, Any]:  # Keras keeps only name and reduction
        return {"name": self.name, "reduction": self.reduction}


class Huber(_Named):
    """Huber loss with threshold ``delta``, then ``reduction``."""
    _fn = staticmethod(huber)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, delta=delta)

    def get_config(self) -> Dict[str, Any]:  # Keras keeps only name and reduction
        return {"name": self.name, "reduction": self.reduction}


class LogCosh(_Named):
    """Mean ``log(cosh(error))`` over the last axis, then ``reduction``."""
    _fn = staticmethod(log_cosh)

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class Hinge(_Named):
    """Hinge loss (labels -1/1 or 0/1), then ``reduction``."""
    _fn = staticmethod(hinge)

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(_Named):
    """Squared hinge loss (labels -1/1 or 0/1), then ``reduction``."""
    _fn = staticmethod(squared_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(_Named):
    """Categorical hinge loss for one-hot labels, then ``reduction``."""
    _fn = staticmethod(categorical_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class KLDivergence(_Named):
    """Kullback-Leibler divergence ``sum(t log(t / p))`` over the last axis, then ``reduction``."""
    _fn = staticmethod(kl_divergence)

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class Poisson(_Named):
    """Poisson loss ``mean(p - t log(p))`` over the last axis, then ``reduction``."""
    _fn = staticmethod(poisson)

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class BinaryCrossentropy(_Named):
    """Binary crossentropy (probabilities, or logits with ``from_logits=True``), then ``reduction``."""
    _fn = staticmethod(binary_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class BinaryFocalCrossentropy(_Named):
    """Focal binary crossentropy (down-weights easy examples by ``(1 - p_t)^gamma``), then ``reduction``."""
    _fn = staticmethod(binary_focal_crossentropy)

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 axis=-1, reduction="sum_over_batch_size", name="binary_focal_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, apply_class_balancing=apply_class_balancing,
                         alpha=alpha, gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)

    def get_config(self) -> Dict[str, Any]:
        k = self._fn_kwargs
        return {"name": self.name, "reduction": self.reduction, "from_logits": k["from_logits"],
                "label_smoothing": k["label_smoothing"], "axis": k["axis"],
                "apply_class_balancing": k["apply_class_balancing"], "alpha": k["alpha"], "gamma": k["gamma"]}


class CategoricalCrossentropy(_Named):
    """Crossentropy for one-hot (or soft) labels along ``axis``, then ``reduction``."""
    _fn = staticmethod(categorical_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_Named):
    """Crossentropy for integer labels; ``ignore_class`` entries are masked out, then ``reduction``."""
    _fn = staticmethod(sparse_categorical_crossentropy)

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None, axis=-1):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)

    def get_config(self) -> Dict[str, Any]:
        k = self._fn_kwargs
        cfg = {"name": self.name, "reduction": self.reduction, "from_logits": k["from_logits"],
               "ignore_class": k["ignore_class"]}
        if k["axis"] != -1:
            cfg["axis"] = k["axis"]
        return cfg


class CategoricalFocalCrossentropy(_Named):
    """Focal crossentropy for one-hot labels (down-weights easy examples by ``(1 - p)^gamma``), then ``reduction``."""
    _fn = staticmethod(categorical_focal_crossentropy)

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class Dice(_Named):
    """Dice loss over ``axis`` (None: the whole batch gives one value), then ``reduction``."""
    _fn = staticmethod(dice)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)


class Tversky(_Named):
    """Tversky loss (``alpha`` weighs false positives, ``beta`` false negatives) over ``axis``, then ``reduction``."""
    _fn = staticmethod(tversky)

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, alpha=alpha, beta=beta, axis=axis)


class Circle(_Named):
    """Circle loss for metric learning (embeddings L2-normalised, integer labels), then ``reduction``."""
    _fn = staticmethod(circle)

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size", name="circle",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)


class CategoricalGeneralizedCrossEntropy(_Named):
    """Generalized crossentropy ``(1 - p_y^q) / q`` (robust to noisy labels; ``q`` in (0, 1)), then ``reduction``."""
    _fn = staticmethod(categorical_generalized_cross_entropy)

    def __init__(self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy",
                 dtype=None):
        if not 0 < q < 1:
            raise ValueError("q must be in the interval (0, 1)")
        super().__init__(reduction=reduction, name=name, dtype=dtype, q=q)


class CTC(_Named):
    """Connectionist temporal classification loss (blank/padding class 0), then ``reduction``."""
    _fn = staticmethod(ctc)

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
