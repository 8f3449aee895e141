"""The Keras-2 era ``keras.backend`` functions (``K.mean``, ``K.dot``, ``K.int_shape``, ...).

Code written for ``from keras import backend as K`` keeps working: each function is a thin layer over
:mod:`unidl_keras.ops` with Keras 2's argument names and defaults (``K.concatenate`` joins on the last
axis, ``K.expand_dims`` inserts at -1, ``K.argmax`` reduces the last axis, ``K.zeros`` makes a
variable). On KerasTensors the ops record functional-graph nodes, so these work inside models too.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

import unidl

from .. import ops
from ..ops import _dtypes
from . import config
from .keras_tensor import KerasTensor
from .variable import Variable

__all__ = ["mean", "sum", "prod", "max", "min", "std", "var", "any", "all", "argmax", "argmin", "square", "sqrt",
           "abs", "exp", "log", "round", "sign", "pow", "clip", "equal", "not_equal", "greater", "greater_equal",
           "less", "less_equal", "maximum", "minimum", "sin", "cos", "dot", "batch_dot", "concatenate", "reshape",
           "shape", "int_shape", "ndim", "dtype", "cast", "set_value", "get_value", "batch_get_value",
           "batch_set_value", "variable", "constant", "zeros", "ones", "eye", "zeros_like", "ones_like",
           "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "softmax",
           "relu", "elu", "sigmoid", "hard_sigmoid", "tanh", "softplus", "softsign", "stack", "expand_dims",
           "squeeze", "permute_dimensions", "transpose", "flatten", "batch_flatten", "tile", "repeat",
           "repeat_elements", "gather", "one_hot", "switch", "l2_normalize", "stop_gradient", "learning_phase",
           "set_learning_phase", "in_train_phase", "in_test_phase", "dropout", "random_normal", "random_uniform",
           "count_params", "update", "update_add", "update_sub", "moving_average_update", "cumsum", "cumprod",
           "logsumexp", "arange", "eval", "name_scope", "is_keras_tensor", "is_variable", "random_uniform_variable",
           "random_normal_variable", "print_tensor"]


def _t(x: Any) -> Any:
    return x if isinstance(x, KerasTensor) else _dtypes.to_tensor(x)


# -- reductions (Keras 2 defaults: axis=None) ---------------------------------------------------------

def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Mean over ``axis``."""
    return ops.mean(x, axis=axis, keepdims=keepdims)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Sum over ``axis``."""
    return ops.sum(x, axis=axis, keepdims=keepdims)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return ops.prod(x, axis=axis, keepdims=keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    return ops.max(x, axis=axis, keepdims=keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    return ops.min(x, axis=axis, keepdims=keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return ops.std(x, axis=axis, keepdims=keepdims)


def var(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return ops.var(x, axis=axis, keepdims=keepdims)


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    return ops.any(x, axis=axis, keepdims=keepdims)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    return ops.all(x, axis=axis, keepdims=keepdims)


def argmax(x: Any, axis: int = -1) -> Any:
    """Index of the maximum along ``axis`` (default: the last)."""
    return ops.argmax(x, axis=axis)


def argmin(x: Any, axis: int = -1) -> Any:
    return ops.argmin(x, axis=axis)


def cumsum(x: Any, axis: int = 0) -> Any:
    return ops.cumsum(x, axis=axis)


def cumprod(x: Any, axis: int = 0) -> Any:
    return ops.cumprod(x, axis=axis)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return ops.logsumexp(x, axis=axis, keepdims=keepdims)


# -- elementwise --------------------------------------------------------------------------------------

def square(x: Any) -> Any:
    return ops.square(x)


def sqrt(x: Any) -> Any:
    """Square root of ``max(x, 0)`` (Keras 2 clips negatives to 0 first)."""
    return ops.sqrt(ops.maximum(x, 0.0))


def abs(x: Any) -> Any:  # noqa: A001
    return ops.abs(x)


def exp(x: Any) -> Any:
    return ops.exp(x)


def log(x: Any) -> Any:
    return ops.log(x)


def round(x: Any) -> Any:  # noqa: A001
    return ops.round(x)


def sign(x: Any) -> Any:
    return ops.sign(x)


def pow(x: Any, a: Any) -> Any:  # noqa: A001
    """``x ** a``."""
    return ops.power(x, a)


def clip(x: Any, min_value: Any, max_value: Any) -> Any:
    """``x`` limited to ``[min_value, max_value]`` (a None bound is unbounded; max below min is raised to min)."""
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    lo = -np.inf if min_value is None else min_value
    hi = np.inf if max_value is None else max_value
    return ops.clip(x, lo, hi)


def equal(x: Any, y: Any) -> Any:
    return ops.equal(x, y)


def not_equal(x: Any, y: Any) -> Any:
    return ops.not_equal(x, y)


def greater(x: Any, y: Any) -> Any:
    return ops.greater(x, y)


def greater_equal(x: Any, y: Any) -> Any:
    return ops.greater_equal(x, y)


def less(x: Any, y: Any) -> Any:
    return ops.less(x, y)


def less_equal(x: Any, y: Any) -> Any:
    return ops.less_equal(x, y)


def maximum(x: Any, y: Any) -> Any:
    return ops.maximum(x, y)


def minimum(x: Any, y: Any) -> Any:
    return ops.minimum(x, y)


def sin(x: Any) -> Any:
    return ops.sin(x)


def cos(x: Any) -> Any:
    return ops.cos(x)


# -- linear algebra -----------------------------------------------------------------------------------

def dot(x: Any, y: Any) -> Any:
    """Keras 2's ``dot`` (``np.dot`` semantics): sums the last axis of ``x`` with the second-to-last of
    ``y``. Shapes: (..., k), (..., k, m) -> x.shape[:-1] + y.shape[:-2] + (m,)."""
    yn = len(ops.shape(y))
    xn = len(ops.shape(x))
    if xn <= 2 and yn <= 2:
        return ops.matmul(x, y) if xn == 2 and yn == 2 else ops.dot(x, y)
    return ops.tensordot(x, y, ([xn - 1], [yn - 2 if yn >= 2 else 0]))


def batch_dot(x: Any, y: Any, axes: Any = None) -> Any:
    """Per-sample dot product. Shapes: (B, n, k), (B, k, m) -> (B, n, m) by default; with 2-D inputs
    (B, k), (B, k) -> (B, 1); ``axes`` names the summed axis of each (ints or a pair)."""
    xs, ys = ops.shape(x), ops.shape(y)
    if axes is None:
        axes = (len(xs) - 1, len(ys) - 2 if len(ys) > 2 else len(ys) - 1)
    if isinstance(axes, int):
        axes = (axes, axes)
    ax, ay = int(axes[0]) % len(xs), int(axes[1]) % len(ys)
    if len(xs) == 2 and len(ys) == 2:
        return ops.sum(ops.multiply(x, y), axis=1, keepdims=True)
    x = ops.moveaxis(x, ax, -1)
    y = ops.moveaxis(y, ay, 1)
    if len(ops.shape(x)) == 2:
        x = ops.expand_dims(x, 1)
        out = ops.squeeze(ops.matmul(x, y), 1)
    elif len(ops.shape(y)) == 2:
        out = ops.squeeze(ops.matmul(x, ops.expand_dims(y, -1)), -1)
    else:
        out = ops.matmul(x, y)
    return out


# -- shapes -------------------------------------------------------------------------------------------

def concatenate(tensors: Sequence[Any], axis: int = -1) -> Any:
    """Join along ``axis`` (default: the last)."""
    return ops.concatenate(list(tensors), axis=axis)


def reshape(x: Any, shape: Any) -> Any:
    return ops.reshape(x, tuple(shape))


def shape(x: Any) -> Any:
    """The shape as an int32 tensor (a tuple with None for a KerasTensor's unknown dims)."""
    if isinstance(x, KerasTensor):
        return x.shape
    return unidl.tensor(np.asarray(_t(x).shape, dtype=np.int32))


def int_shape(x: Any) -> Optional[tuple]:
    """The shape as a tuple of ints (None for unknown dims)."""
    try:
        return tuple(x.shape)
    except AttributeError:
        return None


def ndim(x: Any) -> int:
    return len(x.shape)


def dtype(x: Any) -> str:
    return ops.dtype(x)


def cast(x: Any, dtype: Any) -> Any:
    return ops.cast(x, dtype)


def stack(x: Sequence[Any], axis: int = 0) -> Any:
    return ops.stack(list(x), axis=axis)


def expand_dims(x: Any, axis: int = -1) -> Any:
    """Insert a size-1 axis at ``axis`` (default: the end)."""
    return ops.expand_dims(x, axis)


def squeeze(x: Any, axis: int) -> Any:
    return ops.squeeze(x, axis)


def permute_dimensions(x: Any, pattern: Sequence[int]) -> Any:
    """Transpose to ``pattern``."""
    return ops.transpose(x, tuple(pattern))


def transpose(x: Any) -> Any:
    return ops.transpose(x)


def flatten(x: Any) -> Any:
    """``x`` as 1-D."""
    return ops.reshape(x, (-1,))


def batch_flatten(x: Any) -> Any:
    """``(B, ...)`` -> ``(B, prod(...))``."""
    return ops.reshape(x, (-1, int(np.prod(ops.shape(x)[1:]))))


def tile(x: Any, n: Any) -> Any:
    return ops.tile(x, n)


def repeat(x: Any, n: int) -> Any:
    """``(B, d)`` -> ``(B, n, d)`` (Keras 2's ``repeat``)."""
    return ops.repeat(ops.expand_dims(x, 1), int(n), axis=1)


def repeat_elements(x: Any, rep: int, axis: int) -> Any:
    return ops.repeat(x, int(rep), axis=axis)


def gather(reference: Any, indices: Any) -> Any:
    """Rows of ``reference`` at ``indices`` (axis 0)."""
    return ops.take(reference, indices, axis=0)


def one_hot(indices: Any, num_classes: int) -> Any:
    return ops.one_hot(indices, num_classes)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: str = "int32") -> Any:
    return ops.arange(start, stop, step, dtype=dtype)


# -- values and variables -----------------------------------------------------------------------------

def variable(value: Any, dtype: Any = None, name: Optional[str] = None, constraint: Any = None) -> Variable:
    """A new keras Variable holding ``value`` (floatx for float values unless ``dtype``)."""
    if dtype is None and np.asarray(value).dtype.kind == "f" and not isinstance(value, unidl.Tensor):
        dtype = config.floatx()
    v = Variable(np.asarray(value) if not isinstance(value, unidl.Tensor) else value, dtype=dtype, name=name)
    v.constraint = constraint
    return v


def constant(value: Any, dtype: Any = None, shape: Any = None, name: Optional[str] = None) -> Any:
    """A tensor of ``value`` (broadcast to ``shape`` when given); floatx unless ``dtype``."""
    dt = config.standardize_dtype(dtype)
    a = np.asarray(value, dtype=dt)
    if shape is not None:
        a = np.broadcast_to(a, tuple(shape)).copy()
    return unidl.tensor(a)


def zeros(shape: Any, dtype: Any = None, name: Optional[str] = None) -> Variable:
    """A variable of zeros (Keras 2 returns a variable)."""
    return Variable(np.zeros(tuple(shape), dtype=config.standardize_dtype(dtype)), name=name)


def ones(shape: Any, dtype: Any = None, name: Optional[str] = None) -> Variable:
    """A variable of ones."""
    return Variable(np.ones(tuple(shape), dtype=config.standardize_dtype(dtype)), name=name)


def eye(size: Any, dtype: Any = None, name: Optional[str] = None) -> Variable:
    """A variable holding an identity matrix (``size`` an int or a (rows, cols) pair)."""
    n, m = (size, size) if isinstance(size, int) else tuple(size)
    return Variable(np.eye(n, m, dtype=config.standardize_dtype(dtype)), name=name)


def zeros_like(x: Any, dtype: Any = None, name: Optional[str] = None) -> Any:
    return ops.zeros_like(x, dtype=dtype)


def ones_like(x: Any, dtype: Any = None, name: Optional[str] = None) -> Any:
    return ops.ones_like(x, dtype=dtype)


def random_uniform_variable(shape: Any, low: float, high: float, dtype: Any = None, name: Optional[str] = None,
                            seed: Any = None) -> Variable:
    from .. import random

    return Variable(random.uniform(shape, low, high, dtype=dtype, seed=seed), name=name)


def random_normal_variable(shape: Any, mean: float, scale: float, dtype: Any = None, name: Optional[str] = None,
                           seed: Any = None) -> Variable:
    from .. import random

    return Variable(random.normal(shape, mean, scale, dtype=dtype, seed=seed), name=name)


def get_value(x: Any) -> np.ndarray:
    """The value of a variable or tensor as a NumPy array."""
    if isinstance(x, KerasTensor):
        raise ValueError("A KerasTensor is symbolic and has no value.")
    if isinstance(x, unidl.Tensor):
        return x.numpy()
    return np.asarray(x)


eval = get_value  # noqa: A001 - Keras 2's K.eval


def batch_get_value(tensors: Sequence[Any]) -> list:
    return [get_value(t) for t in tensors]


def set_value(x: Variable, value: Any) -> None:
    """Assign ``value`` (array-like of the variable's shape) to variable ``x``."""
    x.assign(np.asarray(value, dtype=x.dtype))


def batch_set_value(tuples: Sequence[Any]) -> None:
    for x, value in tuples:
        set_value(x, value)


def update(x: Variable, new_x: Any) -> Variable:
    return x.assign(new_x)


def update_add(x: Variable, increment: Any) -> Variable:
    return x.assign_add(increment)


def update_sub(x: Variable, decrement: Any) -> Variable:
    return x.assign_sub(decrement)


def moving_average_update(x: Variable, value: Any, momentum: float) -> Variable:
    """``x = x * momentum + value * (1 - momentum)``."""
    with unidl.no_grad():
        return x.assign(ops.add(ops.multiply(x._plain(), momentum), ops.multiply(value, 1.0 - momentum)))


def count_params(x: Any) -> int:
    return int(np.prod(x.shape))


def is_keras_tensor(x: Any) -> bool:
    return isinstance(x, KerasTensor)


def is_variable(x: Any) -> bool:
    return isinstance(x, Variable)


def print_tensor(x: Any, message: str = "", summarize: int = 3) -> Any:
    """Print ``message`` and the value of ``x``; returns ``x``."""
    print(message, get_value(x))
    return x


# -- activations and losses ---------------------------------------------------------------------------

def softmax(x: Any, axis: int = -1) -> Any:
    return ops.softmax(x, axis=axis)


def relu(x: Any, alpha: float = 0.0, max_value: Any = None, threshold: float = 0.0) -> Any:
    """Rectifier with Keras 2's options: slope ``alpha`` below ``threshold``, capped at ``max_value``."""
    if alpha == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    y = ops.where(ops.greater_equal(x, threshold), x, ops.multiply(ops.subtract(x, threshold), alpha))
    return y if max_value is None else ops.minimum(y, max_value)


def elu(x: Any, alpha: float = 1.0) -> Any:
    return ops.elu(x, alpha)


def sigmoid(x: Any) -> Any:
    return ops.sigmoid(x)


def hard_sigmoid(x: Any) -> Any:
    """Keras 2's ``clip(0.2 x + 0.5, 0, 1)``."""
    return ops.clip(ops.add(ops.multiply(x, 0.2), 0.5), 0.0, 1.0)


def tanh(x: Any) -> Any:
    return ops.tanh(x)


def softplus(x: Any) -> Any:
    return ops.softplus(x)


def softsign(x: Any) -> Any:
    return ops.softsign(x)


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Any:
    return ops.binary_crossentropy(target, output, from_logits=from_logits)


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Any:
    return ops.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Any:
    return ops.sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def l2_normalize(x: Any, axis: Any = None) -> Any:
    """``x / sqrt(max(sum(x^2), 1e-12))`` over ``axis``."""
    sq = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.multiply(x, ops.rsqrt(ops.maximum(sq, 1e-12)))


def stop_gradient(variables: Any) -> Any:
    if isinstance(variables, (list, tuple)):
        return [ops.stop_gradient(v) for v in variables]
    return ops.stop_gradient(variables)


def switch(condition: Any, then_expression: Any, else_expression: Any) -> Any:
    """``then`` where ``condition`` else ``else`` (callables are called first; a Python bool picks one)."""
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    if isinstance(condition, (bool, np.bool_)):
        return then_expression if condition else else_expression
    return ops.where(condition, then_expression, else_expression)


# -- phases and randomness ----------------------------------------------------------------------------

def learning_phase() -> int:
    """0: unidl_keras decides training mode per call (``training=`` arguments), not globally."""
    return 0


def set_learning_phase(value: int) -> None:
    """Accepted for compatibility; has no effect (pass ``training=`` to layer calls instead)."""


def in_train_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """``x`` when ``training`` is true, else ``alt`` (callables are called)."""
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x: Any, alt: Any, training: Any = None) -> Any:
    return in_train_phase(alt, x, training=training)


def dropout(x: Any, level: float, noise_shape: Any = None, seed: Any = None) -> Any:
    from .. import random

    return random.dropout(x, level, noise_shape=noise_shape, seed=seed)


def random_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Any:
    from .. import random

    return random.normal(shape, mean, stddev, dtype=dtype, seed=seed)


def random_uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> Any:
    from .. import random

    return random.uniform(shape, minval, maxval, dtype=dtype, seed=seed)


from .name_scope import name_scope  # noqa: E402,F401 - ``with K.name_scope('block'):`` prefixes variable paths
