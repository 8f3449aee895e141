"""Optimizer update rules as fused, in-place core ops (one kernel per parameter update).

Each op takes the parameter, its gradient and its state tensors, and updates the parameter and the
states **in place** (the same Tensor objects and the same backend arrays keep their identity). They
run outside autograd and are not differentiable. ``unidl.nn.optim`` holds the thin, documented
functions frontends call; the formulas (with their floating-point operation order) are written out
there and in the composites (``unidl.ops.composite_optim``), which the fused kernels
(``unidl.xpkernels.optim``) override.

Kernel contract (differs from other families on purpose): ``kernel(param, grad, *states, **attrs)``
updates ``param`` and the non-None ``states`` in place and returns them as a tuple
``(param, *non_none_states)``. A kernel may instead return new arrays (a functional GPU kernel, or
the host round-trip fallback); the op then copies them back into the inputs, so the in-place
semantics hold on every device.

``form`` selects whose floating-point formula runs where Keras 3 and MXNet 1.9 differ; each form of a rule is
its own op (``sgd_update`` / ``sgd_update_rescaled``), so a kernel implements one formula:

- ``"keras"``: Keras 3 ``keras/src/optimizers/*.py``. Hyper-parameters are cast from the Python
  float to the parameter dtype, and ``1 - beta`` is computed in Python (float64) then cast, as
  Keras does. ``wd`` is Keras's *decoupled* ``weight_decay`` applied before the rule, as the Keras
  base optimizer does: ``p = p - p * wd * lr``. ``rescale_grad``/``clip_gradient`` are not used
  (Keras clips in the base optimizer: see ``unidl.nn.optim.clip_by_norm`` etc.).
- ``"mxnet"``: MXNet 1.9 (``src/operator/optimizer_op-inl.h`` for fused ops; the NumPy-like
  Python compositions of ``python/mxnet/optimizer/optimizer.py`` for AdaGrad, AdaDelta, Adamax and
  Nadam). Fused-op hyper-parameters are float32 fields in MXNet, so they are rounded to float32
  first and then cast to the parameter dtype; ``1 - beta`` is computed in the parameter dtype.
  Hyper-parameters of the Python-composed rules are Python floats cast to the parameter dtype.
  ``wd`` is MXNet's coupled weight decay, ``rescale_grad`` scales the gradient and
  ``clip_gradient`` (None = off) clips it.
"""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import numpy as _np

from ..capture import effect as _effect
from ..dtypes import is_floating
from ..errors import DeviceMismatchError, OpError, UnidlError
from ._core import Tensor, defop, op_error, scalar_types

__all__ = ["sgd_update", "sgd_update_many", "adam_update", "rmsprop_update", "adagrad_update", "adadelta_update",
           "adamax_update", "nadam_update", "ftrl_update", "signum_update", "scale_update",
           "nadam_momentum_cache"]

FORMS = ("keras", "mxnet")

#: one op per rule and form: ``<rule>_update`` runs the ``"keras"`` formula, ``<rule>_update_rescaled`` the
#: ``"mxnet"`` one (kernels implement an op's single formula and never see a framework name)
SGD_UPDATE = defop("sgd_update", doc="in place: SGD / momentum / Nesterov, decoupled weight decay", differentiable=False)
SGD_UPDATE_RESCALED = defop("sgd_update_rescaled", doc="in place: SGD / momentum / NAG on the rescaled, clipped "
                            "gradient (MXNet sgd/sgd_mom/nag, multi_sgd)", differentiable=False)
ADAM_UPDATE = defop("adam_update", doc="in place: Adam / AdamW / AMSGrad", differentiable=False)
ADAM_UPDATE_RESCALED = defop("adam_update_rescaled", doc="in place: Adam on the rescaled gradient (MXNet adam_update)",
                             differentiable=False)
RMSPROP_UPDATE = defop("rmsprop_update", doc="in place: RMSprop (plain, centered, momentum)", differentiable=False)
RMSPROP_UPDATE_RESCALED = defop("rmsprop_update_rescaled", doc="in place: RMSProp on the rescaled gradient "
                                "(MXNet rmsprop/rmspropalex)", differentiable=False)
ADAGRAD_UPDATE = defop("adagrad_update", doc="in place: Adagrad", differentiable=False)
ADAGRAD_UPDATE_RESCALED = defop("adagrad_update_rescaled", doc="in place: Adagrad on the rescaled gradient",
                                differentiable=False)
ADADELTA_UPDATE = defop("adadelta_update", doc="in place: Adadelta", differentiable=False)
ADADELTA_UPDATE_RESCALED = defop("adadelta_update_rescaled", doc="in place: Adadelta on the rescaled gradient",
                                 differentiable=False)
ADAMAX_UPDATE = defop("adamax_update", doc="in place: Adamax", differentiable=False)
ADAMAX_UPDATE_RESCALED = defop("adamax_update_rescaled", doc="in place: Adamax on the rescaled gradient",
                               differentiable=False)
NADAM_UPDATE = defop("nadam_update", doc="in place: Nadam", differentiable=False)
NADAM_UPDATE_RESCALED = defop("nadam_update_rescaled", doc="in place: Nadam on the rescaled gradient",
                              differentiable=False)
FTRL_UPDATE = defop("ftrl_update", doc="in place: FTRL-proximal (MXNet)", differentiable=False)
SIGNUM_UPDATE = defop("signum_update", doc="in place: signSGD / Signum (MXNet)", differentiable=False)
SCALE_UPDATE = defop("scale_update", doc="in place: x *= scale (a scalar or one-element tensor)",
                     differentiable=False)

#: each update op -> the rule it runs (the two forms of one rule are one step of the same optimizer, so the
#: twin tier compares a Keras ``sgd_update`` call with a Gluon ``sgd_update_rescaled`` one)
UPDATE_RULE = {op: op.replace("_rescaled", "") for op in (
    "sgd_update", "sgd_update_rescaled", "adam_update", "adam_update_rescaled", "rmsprop_update",
    "rmsprop_update_rescaled", "adagrad_update", "adagrad_update_rescaled", "adadelta_update",
    "adadelta_update_rescaled", "adamax_update", "adamax_update_rescaled", "nadam_update", "nadam_update_rescaled",
    "ftrl_update", "signum_update", "scale_update")}


# ---------------------------------------------------------------------------------------------
# running an in-place op
# ---------------------------------------------------------------------------------------------
def _plain(param: Any, grad: Any, states: Sequence[Optional[Any]]) -> bool:
    """The case every training step takes, in a few attribute reads: float Tensors of one shape on one device,
    each state a distinct array of the parameter's dtype. False sends :func:`_check` to the detailed checks
    (which also accept bfloat16, and word each refusal)."""
    if not isinstance(param, Tensor) or not isinstance(grad, Tensor):
        return False
    pd, gd, dev = param.data, grad.data, param.device
    if pd.dtype.kind != "f" or gd.dtype.kind != "f" or gd.shape != pd.shape or grad.device is not dev:
        return False
    held = [pd]
    for s in states:
        if s is None:
            continue
        if not isinstance(s, Tensor) or s.device is not dev:
            return False
        sd = s.data
        if sd.shape != pd.shape or sd.dtype != pd.dtype:
            return False
        for h in held:
            if sd is h:
                return False
        held.append(sd)
    return True


def _check(op: str, param: Any, grad: Any, states: Sequence[Optional[Any]], names: Sequence[str]) -> None:
    if _plain(param, grad, states):
        return
    if not isinstance(param, Tensor):
        raise OpError(op, f"param must be a unidl Tensor, got {type(param).__name__}")
    if not is_floating(param.dtype):
        raise OpError(op, "param must be floating point", shapes=(param.shape,), dtypes=(param.dtype,))
    if not isinstance(grad, Tensor):
        raise OpError(op, f"grad must be a unidl Tensor, got {type(grad).__name__}", shapes=(param.shape,))
    if grad.shape != param.shape:
        raise OpError(op, f"grad must have the parameter's shape {param.shape}",
                      shapes=(param.shape, grad.shape), dtypes=(param.dtype, grad.dtype))
    if not is_floating(grad.dtype):
        raise OpError(op, "grad must be floating point", shapes=(param.shape, grad.shape),
                      dtypes=(param.dtype, grad.dtype))
    tensors = [param, grad]
    for s, name in zip(states, names):
        if s is None:
            continue
        if not isinstance(s, Tensor):
            raise OpError(op, f"state '{name}' must be a unidl Tensor or None, got {type(s).__name__}",
                          shapes=(param.shape,))
        if s.shape != param.shape or s.dtype != param.dtype:
            raise OpError(op, f"state '{name}' must have the parameter's shape {param.shape} and dtype "
                              f"{param.dtype}", shapes=(param.shape, s.shape), dtypes=(param.dtype, s.dtype))
        tensors.append(s)
    dev = param.device
    for t in tensors:
        if t.device is not dev:
            devs = sorted({str(x.device) for x in tensors})
            raise DeviceMismatchError(op, f"inputs are on different devices: {devs}",
                                      shapes=[x.shape for x in tensors])
    ids = [id(t.data) for t in tensors]
    if len(set(ids[:1] + ids[2:])) != len(ids) - 1:
        raise OpError(op, "param and state tensors must be distinct arrays", shapes=[x.shape for x in tensors])


def _run(op: Any, param: Tensor, grad: Tensor, states: Sequence[Optional[Tensor]], attrs: dict) -> Tensor:
    """Resolve and call ``op``'s kernel on raw arrays; copy back any array the kernel returned anew."""
    dev = param.device
    k = op.table.get(dev.type)
    if k is None:
        k = op.kernel(dev.type)
    try:
        out = k(param.data, grad.data, *[None if s is None else s.data for s in states], **attrs)
    except UnidlError:
        raise
    except Exception as e:
        raise op_error(op, e, [param, grad] + [s for s in states if s is not None]) from e
    if out is not None:
        targets = (param,) + tuple(s for s in states if s is not None)
        for t, r in zip(targets, out):
            if r is not t.data:
                _effect(_copy_into, t.data, r)
    return param


def _copy_into(dst: Any, src: Any) -> None:
    dst[...] = src


def _form(op: str, form: str) -> str:
    if form not in FORMS:
        raise OpError(op, f"form must be one of {FORMS}, got {form!r}")
    return form


def _attrs(form: str, attrs: dict, wd: float, rescale_grad: float, clip_gradient: Optional[float],
           **rescaled_only: Any) -> dict:
    """The op's attributes: ``attrs`` and ``wd``, plus the rescaled form's own (gradient scale and clip, ...)."""
    attrs["wd"] = float(wd)
    if form == "mxnet":
        attrs.update(rescale_grad=float(rescale_grad), clip_gradient=clip_gradient, **rescaled_only)
    return attrs


def _clip_attr(op: str, clip_gradient: Optional[float]) -> Optional[float]:
    if clip_gradient is None:
        return None
    c = float(clip_gradient)
    if c < 0:  # MXNet: a negative clip_gradient means off
        return None
    return c


def _keras_only(op: str, form: str, wd: float, rescale_grad: float, clip_gradient: Optional[float]) -> None:
    if form == "keras" and (rescale_grad != 1.0 or clip_gradient is not None):
        raise OpError(op, "form='keras' takes no rescale_grad/clip_gradient (Keras clips gradients in the "
                          "base optimizer: use unidl.nn.optim.clip_by_norm / clip_by_value / clip_by_global_norm)")


# ---------------------------------------------------------------------------------------------
# the ops
# ---------------------------------------------------------------------------------------------
def sgd_update(param: Tensor, grad: Tensor, mom: Optional[Tensor] = None, *, lr: float, momentum: float = 0.0,
               nesterov: bool = False, form: str = "keras", wd: float = 0.0, rescale_grad: float = 1.0,
               clip_gradient: Optional[float] = None, aggregated: bool = False) -> Tensor:
    """SGD step in place; formulas in :func:`unidl.nn.optim.sgd`. Shapes: all (...) alike."""
    op = "sgd_update"
    _form(op, form)
    _keras_only(op, form, wd, rescale_grad, clip_gradient)
    _check(op, param, grad, (mom,), ("mom",))
    attrs = _attrs(form, dict(lr=float(lr), momentum=float(momentum), nesterov=bool(nesterov)), wd, rescale_grad,
                   _clip_attr(op, clip_gradient), aggregated=bool(aggregated))
    return _run(SGD_UPDATE if form == "keras" else SGD_UPDATE_RESCALED, param, grad, (mom,), attrs)


def sgd_update_many(params: Sequence[Tensor], grads: Sequence[Tensor], moms: Sequence[Optional[Tensor]], *,
                    lrs: Sequence[float], wds: Sequence[float], momentum: float = 0.0, nesterov: bool = False,
                    form: str = "keras", rescale_grad: float = 1.0, clip_gradient: Optional[float] = None,
                    aggregated: bool = False) -> None:
    """SGD steps of several parameters in place, in one call: parameter ``i`` exactly as
    ``sgd_update(params[i], grads[i], moms[i], lr=lrs[i], wd=wds[i], ...)`` (momentum 0 where ``moms[i]`` is
    None). The same kernel runs once per parameter, in order, so the results and the kernel calls are those of
    the loop; the shared arguments are checked and normalised once. Shapes: ``params[i]``, ``grads[i]`` and
    ``moms[i]`` alike."""
    op = "sgd_update"
    n = len(params)
    if not len(grads) == len(moms) == len(lrs) == len(wds) == n:
        raise OpError(op, f"params, grads, moms, lrs and wds must have one entry per parameter, got lengths "
                          f"{n}, {len(grads)}, {len(moms)}, {len(lrs)}, {len(wds)}")
    _form(op, form)
    _keras_only(op, form, 0.0, rescale_grad, clip_gradient)
    kernel_op = SGD_UPDATE if form == "keras" else SGD_UPDATE_RESCALED
    base = _attrs(form, dict(lr=0.0, momentum=float(momentum), nesterov=bool(nesterov)), 0.0, rescale_grad,
                  _clip_attr(op, clip_gradient), aggregated=bool(aggregated))
    # the kernel's attributes per distinct (lr, wd, momentum or not): parameters mostly share a few. The signs
    # are in the key because -0.0 == 0.0, and a zero's sign can reach a result's
    by_value: dict = {}
    sign = math.copysign
    for p, g, m, lr, wd in zip(params, grads, moms, lrs, wds):
        _check(op, p, g, (m,), ("mom",))
        key = (lr, wd, m is None, sign(1.0, lr), sign(1.0, wd))
        attrs = by_value.get(key)
        if attrs is None:
            attrs = by_value[key] = dict(base, lr=float(lr), wd=float(wd))
            if m is None:
                attrs["momentum"] = 0.0
        _run(kernel_op, p, g, (m,), attrs)


def adam_update(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, vhat: Optional[Tensor] = None, *, lr: float,
                step: int, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-7, form: str = "keras",
                wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: Optional[float] = None) -> Tensor:
    """Adam / AdamW / AMSGrad step in place (``vhat`` given = AMSGrad); see :func:`unidl.nn.optim.adam`."""
    op = "adam_update"
    _form(op, form)
    _keras_only(op, form, wd, rescale_grad, clip_gradient)
    _check(op, param, grad, (m, v, vhat), ("m", "v", "vhat"))
    if m is None or v is None:
        raise OpError(op, "m and v are required", shapes=(param.shape,))
    if form == "mxnet" and vhat is not None:
        raise OpError(op, "MXNet 1.9 Adam has no AMSGrad variant (vhat must be None with form='mxnet')")
    _step(op, step)
    attrs = _attrs(form, dict(lr=float(lr), step=int(step), beta1=float(beta1), beta2=float(beta2),
                              epsilon=float(epsilon)), wd, rescale_grad, _clip_attr(op, clip_gradient))
    if form == "keras":
        return _run(ADAM_UPDATE, param, grad, (m, v, vhat), attrs)
    return _run(ADAM_UPDATE_RESCALED, param, grad, (m, v), attrs)


def rmsprop_update(param: Tensor, grad: Tensor, n: Tensor, g_avg: Optional[Tensor] = None,
                   mom: Optional[Tensor] = None, *, lr: float, rho: float = 0.9, momentum: float = 0.0,
                   epsilon: float = 1e-7, form: str = "keras", wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: Optional[float] = None, clip_weights: Optional[float] = None) -> Tensor:
    """RMSprop step in place (``g_avg`` given = centered); see :func:`unidl.nn.optim.rmsprop`."""
    op = "rmsprop_update"
    _form(op, form)
    _keras_only(op, form, wd, rescale_grad, clip_gradient)
    if form == "keras" and clip_weights is not None:
        raise OpError(op, "clip_weights is MXNet-only")
    _check(op, param, grad, (n, g_avg, mom), ("n", "g_avg", "mom"))
    if n is None:
        raise OpError(op, "n (the mean square) is required", shapes=(param.shape,))
    if form == "mxnet" and (g_avg is None) != (mom is None):
        raise OpError(op, "MXNet RMSProp is plain (n) or centered (n, g_avg, mom=delta), nothing between")
    if form == "keras" and (mom is None) != (float(momentum) <= 0.0):
        raise OpError(op, "Keras RMSprop keeps a momentum buffer exactly when momentum > 0")
    attrs = _attrs(form, dict(lr=float(lr), rho=float(rho), momentum=float(momentum), epsilon=float(epsilon)), wd,
                   rescale_grad, _clip_attr(op, clip_gradient), clip_weights=_clip_attr(op, clip_weights))
    return _run(RMSPROP_UPDATE if form == "keras" else RMSPROP_UPDATE_RESCALED, param, grad, (n, g_avg, mom), attrs)


def adagrad_update(param: Tensor, grad: Tensor, acc: Tensor, *, lr: float, epsilon: float = 1e-7,
                   form: str = "keras", wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: Optional[float] = None) -> Tensor:
    """Adagrad step in place; see :func:`unidl.nn.optim.adagrad`."""
    op = "adagrad_update"
    _form(op, form)
    _keras_only(op, form, wd, rescale_grad, clip_gradient)
    _check(op, param, grad, (acc,), ("acc",))
    if acc is None:
        raise OpError(op, "acc is required", shapes=(param.shape,))
    attrs = _attrs(form, dict(lr=float(lr), epsilon=float(epsilon)), wd, rescale_grad, _clip_attr(op, clip_gradient))
    return _run(ADAGRAD_UPDATE if form == "keras" else ADAGRAD_UPDATE_RESCALED, param, grad, (acc,), attrs)


def adadelta_update(param: Tensor, grad: Tensor, acc_grad: Tensor, acc_delta: Tensor, *, lr: float = 1.0,
                    rho: float = 0.95, epsilon: float = 1e-7, form: str = "keras", wd: float = 0.0,
                    rescale_grad: float = 1.0, clip_gradient: Optional[float] = None) -> Tensor:
    """Adadelta step in place; see :func:`unidl.nn.optim.adadelta`."""
    op = "adadelta_update"
    _form(op, form)
    _keras_only(op, form, wd, rescale_grad, clip_gradient)
    _check(op, param, grad, (acc_grad, acc_delta), ("acc_grad", "acc_delta"))
    if acc_grad is None or acc_delta is None:
        raise OpError(op, "acc_grad and acc_delta are required", shapes=(param.shape,))
    attrs = _attrs(form, dict(lr=float(lr), rho=float(rho), epsilon=float(epsilon)), wd, rescale_grad,
                   _clip_attr(op, clip_gradient))
    return _run(ADADELTA_UPDATE if form == "keras" else ADADELTA_UPDATE_RESCALED, param, grad, (acc_grad, acc_delta),
                attrs)


def adamax_update(param: Tensor, grad: Tensor, m: Tensor, u: Tensor, *, lr: float, step: int, beta1: float = 0.9,
                  beta2: float = 0.999, epsilon: float = 1e-7, form: str = "keras", wd: float = 0.0,
                  rescale_grad: float = 1.0, clip_gradient: Optional[float] = None) -> Tensor:
    """Adamax step in place; see :func:`unidl.nn.optim.adamax`."""
    op = "adamax_update"
    _form(op, form)
    _keras_only(op, form, wd, rescale_grad, clip_gradient)
    _check(op, param, grad, (m, u), ("m", "u"))
    if m is None or u is None:
        raise OpError(op, "m and u are required", shapes=(param.shape,))
    _step(op, step)
    attrs = _attrs(form, dict(lr=float(lr), step=int(step), beta1=float(beta1), beta2=float(beta2),
                              epsilon=float(epsilon)), wd, rescale_grad, _clip_attr(op, clip_gradient))
    return _run(ADAMAX_UPDATE if form == "keras" else ADAMAX_UPDATE_RESCALED, param, grad, (m, u), attrs)


def nadam_update(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, *, lr: float, step: int, momentum_cache: float,
                 beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-7, form: str = "keras",
                 wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: Optional[float] = None,
                 schedule_decay: float = 0.004) -> Tensor:
    """Nadam step in place; ``momentum_cache`` from :func:`nadam_momentum_cache`. See :func:`unidl.nn.optim.nadam`."""
    op = "nadam_update"
    _form(op, form)
    _keras_only(op, form, wd, rescale_grad, clip_gradient)
    _check(op, param, grad, (m, v), ("m", "v"))
    if m is None or v is None:
        raise OpError(op, "m and v are required", shapes=(param.shape,))
    _step(op, step)
    attrs = _attrs(form, dict(lr=float(lr), step=int(step), momentum_cache=float(momentum_cache), beta1=float(beta1),
                              beta2=float(beta2), epsilon=float(epsilon)), wd, rescale_grad,
                   _clip_attr(op, clip_gradient), schedule_decay=float(schedule_decay))
    return _run(NADAM_UPDATE if form == "keras" else NADAM_UPDATE_RESCALED, param, grad, (m, v), attrs)


def ftrl_update(param: Tensor, grad: Tensor, z: Tensor, n: Tensor, *, lr: float = 0.1, lamda1: float = 0.01,
                beta: float = 1.0, wd: float = 0.0, rescale_grad: float = 1.0,
                clip_gradient: Optional[float] = None) -> Tensor:
    """MXNet FTRL step in place; see :func:`unidl.nn.optim.ftrl`."""
    op = "ftrl_update"
    _check(op, param, grad, (z, n), ("z", "n"))
    if z is None or n is None:
        raise OpError(op, "z and n are required", shapes=(param.shape,))
    attrs = dict(lr=float(lr), lamda1=float(lamda1), beta=float(beta), wd=float(wd),
                 rescale_grad=float(rescale_grad), clip_gradient=_clip_attr(op, clip_gradient))
    return _run(FTRL_UPDATE, param, grad, (z, n), attrs)


def signum_update(param: Tensor, grad: Tensor, mom: Optional[Tensor] = None, *, lr: float = 0.01,
                  momentum: float = 0.9, wd: float = 0.0, wd_lh: float = 0.0, rescale_grad: float = 1.0,
                  clip_gradient: Optional[float] = None) -> Tensor:
    """MXNet signSGD (``mom`` None) / Signum step in place; see :func:`unidl.nn.optim.signum`."""
    op = "signum_update"
    _check(op, param, grad, (mom,), ("mom",))
    attrs = dict(lr=float(lr), momentum=float(momentum), wd=float(wd), wd_lh=float(wd_lh),
                 rescale_grad=float(rescale_grad), clip_gradient=_clip_attr(op, clip_gradient))
    return _run(SIGNUM_UPDATE, param, grad, (mom,), attrs)


def scale_update(x: Tensor, scale: Any) -> Tensor:
    """``x *= scale`` in place (``scale``: a Python float or a one-element Tensor). Shape: (...) -> (...)."""
    op = "scale_update"
    if not isinstance(x, Tensor) or not is_floating(x.dtype):
        raise OpError(op, "x must be a floating-point unidl Tensor")
    if isinstance(scale, Tensor):
        if scale.size != 1:
            raise OpError(op, "scale must have exactly one element", shapes=(x.shape, scale.shape))
        if scale.device is not x.device:
            raise DeviceMismatchError(op, f"inputs are on different devices: {x.device} and {scale.device}",
                                      shapes=(x.shape, scale.shape))
        s = scale.data
    elif isinstance(scale, scalar_types):
        s = float(scale)
    else:
        raise OpError(op, f"scale must be a float or a one-element Tensor, got {type(scale).__name__}")
    dev = x.device
    try:
        k = SCALE_UPDATE.table[dev.type]
    except KeyError:
        k = SCALE_UPDATE.kernel(dev.type)
    try:
        out = k(x.data, s)
    except UnidlError:
        raise
    except Exception as e:
        raise op_error(SCALE_UPDATE, e, [x]) from e
    if out is not None and out[0] is not x.data:
        _effect(_copy_into, x.data, out[0])
    return x


def _step(op: str, step: Any) -> None:
    if int(step) < 1:
        raise OpError(op, f"step is the 1-based update count t (Keras iterations + 1), got {step}")


def nadam_momentum_cache(prev: float, beta1: float, step: int, *, form: str = "keras", dtype: Any = "float32",
                         schedule_decay: float = 0.004) -> float:
    """The running product of Nadam momentum coefficients after update ``step`` (1-based).

    Keras 3 (once per optimizer step, shared by all variables, computed in ``dtype``)::

        u_product_t = u_product_{t-1} * beta1 * (1 - 0.5 * 0.96 ** t)

    MXNet 1.9 (Python floats; note MXNet multiplies its ``m_schedule`` once per *parameter* update)::

        m_schedule = m_schedule * beta1 * (1 - 0.5 * 0.96 ** (t * schedule_decay))

    Start from ``prev = 1.0``.
    """
    if form == "keras":
        T = _np.dtype(dtype).type
        # Keras: u_product * beta_1 * (1.0 - 0.5 * power(0.96, t)) in the variable dtype
        return float(T(T(prev) * T(beta1)) * T(T(1.0) - T(0.5) * (T(0.96) ** T(step))))
    if form == "mxnet":
        return prev * (beta1 * (1.0 - 0.5 * math.pow(0.96, step * schedule_decay)))
    raise OpError("nadam_update", f"form must be one of {FORMS}, got {form!r}")
