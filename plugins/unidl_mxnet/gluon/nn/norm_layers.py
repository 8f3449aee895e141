"""``gluon.nn`` BatchNorm, LayerNorm, InstanceNorm, GroupNorm and Embedding on :mod:`unidl.ops` /
:mod:`unidl.nn.layers_extra` (MXNet's defaults and names; MXNet keeps them in ``basic_layers``)."""
from __future__ import annotations

from typing import Any

from unidl import autograd as _ag
from unidl import ops
from unidl.errors import OpError
from unidl.nn import layers_extra as _lx

from ...base import MXNetError, check_positive

from ...ndarray.ndarray import wrap
from ..block import HybridBlock


class BatchNorm(HybridBlock):
    """Batch normalisation over every axis but ``axis`` (channels, 1 by default).

    Training uses batch statistics and updates ``running_mean``/``running_var`` as
    ``running = momentum * running + (1 - momentum) * batch`` (momentum 0.9, epsilon 1e-5 as MXNet);
    inference and ``use_global_stats=True`` use the running statistics.
    """

    def __init__(self, axis: int = 1, momentum: float = 0.9, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, use_global_stats: bool = False, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", running_mean_initializer: Any = "zeros",
                 running_variance_initializer: Any = "ones", in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._axis, self._momentum, self._eps, self._global = axis, momentum, epsilon, use_global_stats
        shape = (in_channels,)
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null", shape=shape,
                                     init=gamma_initializer, allow_deferred_init=True, differentiable=scale)
        self.beta = self.params.get("beta", grad_req="write" if center else "null", shape=shape,
                                    init=beta_initializer, allow_deferred_init=True, differentiable=center)
        self.running_mean = self.params.get("running_mean", grad_req="null", shape=shape,
                                            init=running_mean_initializer, allow_deferred_init=True,
                                            differentiable=False)
        self.running_var = self.params.get("running_var", grad_req="null", shape=shape,
                                           init=running_variance_initializer, allow_deferred_init=True,
                                           differentiable=False)

    def infer_shape(self, x: Any, *args: Any) -> None:
        c = x.shape[self._axis]
        for p in (self.gamma, self.beta, self.running_mean, self.running_var):
            p.shape = (c,)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any) -> Any:
        training = _ag.is_training() and not self._global
        return wrap(ops.batch_norm(x._t, gamma._t, beta._t, running_mean._t, running_var._t, axis=self._axis,
                                   training=training, momentum=self._momentum, eps=self._eps,
                                   update_running="backward"))   # as MXNet 1.x: when backward runs

    def __repr__(self) -> str:
        c = self.gamma.shape[0] if self.gamma.shape else None
        return (f"BatchNorm(axis={self._axis}, eps={self._eps}, momentum={self._momentum}, "
                f"fix_gamma={self.gamma.grad_req == 'null'}, use_global_stats={self._global}, "
                f"in_channels={c or None})")


class LayerNorm(HybridBlock):
    """Normalise each sample over ``axis`` (the last by default), then scale by gamma and shift by beta."""

    def __init__(self, axis: int = -1, epsilon: float = 1e-5, center: bool = True, scale: bool = True,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones", in_channels: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._axis, self._eps = axis, epsilon
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null", shape=(in_channels,),
                                     init=gamma_initializer, allow_deferred_init=True, differentiable=scale)
        self.beta = self.params.get("beta", grad_req="write" if center else "null", shape=(in_channels,),
                                    init=beta_initializer, allow_deferred_init=True, differentiable=center)

    def infer_shape(self, x: Any, *args: Any) -> None:
        self.gamma.shape = self.beta.shape = (x.shape[self._axis],)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any) -> Any:
        return wrap(ops.layer_norm(x._t, gamma._t, beta._t, axes=(self._axis,), eps=self._eps))


class Embedding(HybridBlock):
    """Rows of a (input_dim, output_dim) weight picked by integer (or whole-number float) indices."""

    def __init__(self, input_dim: int, output_dim: int, dtype: Any = "float32", weight_initializer: Any = None,
                 sparse_grad: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_positive("Embedding", input_dim=input_dim, output_dim=output_dim)
        self._input_dim, self._output_dim = input_dim, output_dim
        self._sparse_grad = sparse_grad
        self.weight = self.params.get("weight", shape=(input_dim, output_dim), init=weight_initializer,
                                      dtype=dtype, allow_deferred_init=True,
                                      grad_stype="row_sparse" if sparse_grad else "default")

    def hybrid_forward(self, F: Any, x: Any, weight: Any) -> Any:
        try:
            return wrap(ops.embedding(x._t, weight._t))
        except OpError:
            # MXNet clips out-of-range indices (below 0 -> row 0, past the end -> the last row). Clipping only
            # after the core refuses keeps in-range calls to one kernel call, the same as the Keras twin's.
            clipped = ops.clip(x._t, 0, weight._t.shape[0] - 1)
            return wrap(ops.embedding(clipped, weight._t))

    def __repr__(self) -> str:
        return f"Embedding({self._input_dim} -> {self._output_dim}, float32)"


def _kwargs_repr(kwargs: Any) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


class InstanceNorm(HybridBlock):
    """Normalises each (sample, channel) over the other axes: ``(x - mean) / sqrt(var + eps) * gamma + beta``
    with the channels on ``axis`` (1). MXNet's defaults: ``scale=False`` (gamma stays at ones and is not
    trained), ``center=True``. Shape: (N, C, ...) -> same; gamma, beta (C,), inferred when ``in_channels=0``.
    """

    def __init__(self, axis: int = 1, epsilon: float = 1e-5, center: bool = True, scale: bool = False,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones", in_channels: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis, self._epsilon = axis, epsilon
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null", shape=(in_channels,),
                                     init=gamma_initializer, allow_deferred_init=True)
        self.beta = self.params.get("beta", grad_req="write" if center else "null", shape=(in_channels,),
                                    init=beta_initializer, allow_deferred_init=True)

    def infer_shape(self, x: Any, *args: Any) -> None:
        if x.ndim < 3 or not -x.ndim <= self._axis < x.ndim:
            raise MXNetError(f"InstanceNorm: expected an input with at least 3 dims and axis {self._axis}, got "
                             f"shape {x.shape}")
        self.gamma.shape = self.beta.shape = (x.shape[self._axis],)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any) -> Any:
        try:
            return wrap(_lx.instance_norm(x._t, gamma._t, beta._t, axis=self._axis, eps=self._epsilon))
        except OpError as err:
            raise MXNetError(f"InstanceNorm ({self.name}): {err}") from None

    def __repr__(self) -> str:
        return f"InstanceNorm({_kwargs_repr(self._kwargs)}, in_channels={self.gamma.shape[0]})"


class GroupNorm(HybridBlock):
    """Splits the channels (axis 1) into ``num_groups`` groups and normalises each (sample, group) over its
    channels and positions; then scales and shifts **per group**: gamma and beta have shape (num_groups,)
    in MXNet 1.9. Shape: (N, C, ...) -> same, C divisible by ``num_groups``."""

    def __init__(self, num_groups: int = 1, epsilon: float = 1e-5, center: bool = True, scale: bool = True,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones", prefix: Any = None,
                 params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "num_groups": num_groups, "center": center, "scale": scale}
        self._num_groups, self._epsilon = num_groups, epsilon
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null", shape=(num_groups,),
                                     init=gamma_initializer, allow_deferred_init=True)
        self.beta = self.params.get("beta", grad_req="write" if center else "null", shape=(num_groups,),
                                    init=beta_initializer, allow_deferred_init=True)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any) -> Any:
        if x.ndim < 3 or x.shape[1] % self._num_groups:
            raise MXNetError(f"GroupNorm: expected an input (N, C, ...) with at least 3 dims and C divisible by "
                             f"num_groups={self._num_groups}, got shape {x.shape}")
        g = self._num_groups
        # per-group affine even when num_groups == C (the core treats (C,) as per channel: the same thing)
        return wrap(_lx.group_norm(x._t, g, gamma._t, beta._t, eps=self._epsilon))

    def __repr__(self) -> str:
        return f"GroupNorm({_kwargs_repr(self._kwargs)})"


__all__ = ["BatchNorm", "LayerNorm", "InstanceNorm", "GroupNorm", "Embedding"]
