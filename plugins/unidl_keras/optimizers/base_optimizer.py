"""``keras.optimizers.Optimizer``: the base class every Keras optimizer derives from.

It owns what all optimizers share, as Keras 3's base optimizer does: the step counter
(``iterations``), the learning rate (a float kept in a Variable, or a schedule), gradient clipping
(``clipnorm`` / ``clipvalue`` / ``global_clipnorm``), Keras's decoupled ``weight_decay``, loss scaling,
slot-variable creation and the ``apply`` loop (skip None gradients, clip, update, apply variable
constraints, count the step). Subclasses create their slots in :meth:`build` (in Keras's order, which
is the save order) and implement :meth:`update_step` by calling the shared update rules of
:mod:`unidl.nn.optim` with ``form="keras"``.
"""
from __future__ import annotations

import re
import warnings
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl.nn import optim as _optim
from unidl.tensor import Tensor

from ..backend import config
from ..backend.common import convert_to_tensor, snake_case, unique_name
from ..backend.name_scope import name_scope
from ..backend.variable import Variable
from .schedules import learning_rate_schedule as _schedules

_LR_WARNED = False

_LR_TYPE_ERROR = ("Argument `learning_rate` should be float, or an instance of LearningRateSchedule, or a callable "
                  "(that takes in the current iteration value and returns the corresponding learning rate value). "
                  "Received instead: learning_rate={}")


def _warn_lr_alias() -> None:
    """Warn once per process that ``lr=`` is the Keras 2 spelling of ``learning_rate=``."""
    global _LR_WARNED
    if not _LR_WARNED:
        _LR_WARNED = True
        warnings.warn("The `lr` argument is deprecated, use `learning_rate` instead.", DeprecationWarning,
                      stacklevel=4)


class Optimizer:
    """Base optimizer.

    Args:
        learning_rate: a float, a :class:`LearningRateSchedule`, or a callable of no argument.
        weight_decay: Keras's decoupled weight decay (``p -= p * weight_decay * lr`` before each update).
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients jointly to this global L2 norm. At most one of the three
            clipping arguments may be set.
        use_ema / ema_momentum / ema_overwrite_frequency: keep an exponential moving average of the
            trained variables (slots ``average``); every ``ema_overwrite_frequency`` (accumulated) steps,
            and in :meth:`finalize_variable_values`, the variables are overwritten with it.
        loss_scale_factor: gradients are divided by it before the update (``scale_loss`` multiplies).
        gradient_accumulation_steps: an int >= 2: gradients are summed in ``gradient_accumulator`` slots and
            the update runs every that many calls with their mean; :attr:`iterations` counts updates.
        name: the optimizer name (default: the snake-case class name, made unique).
        lr: Keras 2 spelling of ``learning_rate`` (deprecated; warns once).
        decay: Keras 2 time decay: the rate used is ``lr / (1 + decay * iterations)`` (warns).
    """

    def __init__(self, learning_rate: Any, weight_decay: Optional[float] = None, clipnorm: Optional[float] = None,
                 clipvalue: Optional[float] = None, global_clipnorm: Optional[float] = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: Optional[int] = None,
                 loss_scale_factor: Optional[float] = None, gradient_accumulation_steps: Optional[int] = None,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        if "lr" in kwargs:
            _warn_lr_alias()
            learning_rate = kwargs.pop("lr")
        self.decay = kwargs.pop("decay", None) or 0.0
        if self.decay:
            warnings.warn(f"Argument `decay` is a Keras 2 argument: unidl_keras applies it with its Keras 2 "
                          f"meaning, learning_rate / (1 + decay * iterations) (decay={self.decay}). In Keras 3, "
                          "use a `keras.optimizers.schedules.InverseTimeDecay` schedule instead.", UserWarning,
                          stacklevel=3)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if gradient_accumulation_steps:
            if not gradient_accumulation_steps >= 2:
                raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: "
                                 f"gradient_accumulation_steps={gradient_accumulation_steps}")
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                                 f"ema_overwrite_frequency={ema_overwrite_frequency}")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                             f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        self.name = name if name is not None else unique_name(snake_case(type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables: List[Variable] = []
        self._trainable_variables: List[Variable] = []
        self._trainable_variables_indices: Dict[int, int] = {}
        self._exclude_from_weight_decay: set = set()
        self._exclude_from_weight_decay_pattern: Optional[re.Pattern] = None
        self._iterations = self._own_variable(np.asarray(0, dtype=np.int32), "iteration")
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate: Any = learning_rate
        else:
            self._learning_rate = self._own_variable(
                np.asarray(self._check_lr_number(learning_rate), dtype=config.floatx()), "learning_rate")

    # -- variables -----------------------------------------------------------------------------------
    @staticmethod
    def _check_lr_number(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            if isinstance(value, Tensor) and value.size == 1:
                return float(value.numpy())
            raise ValueError(_LR_TYPE_ERROR.format(value))
        return float(value)

    def _own_variable(self, value: np.ndarray, name: str) -> Variable:
        with name_scope(self.name, caller=self):  # path '<optimizer>/<name>', as Keras
            v = Variable(value, dtype=value.dtype.name, trainable=False, name=name)
        self._variables.append(v)
        return v

    def add_variable(self, shape: Sequence[int], initializer: Any = "zeros", dtype: Any = None,
                     name: Optional[str] = None) -> Variable:
        """A new non-trainable optimizer variable (``initializer``: 'zeros', 'ones', a number or a callable)."""
        dt = config.standardize_dtype(dtype)
        shape = tuple(int(d) for d in shape)
        if callable(initializer):
            value = np.asarray(initializer(shape, dtype=dt))
        elif initializer == "zeros":
            value = np.zeros(shape, dt)
        elif initializer == "ones":
            value = np.ones(shape, dt)
        else:
            value = np.full(shape, initializer, dt)
        return self._own_variable(np.asarray(value, dtype=dt), name or "variable")

    def add_variable_from_reference(self, reference_variable: Variable, name: Optional[str] = None,
                                    initializer: Any = "zeros") -> Variable:
        """A slot like ``reference_variable`` (shape, dtype), named ``<ref path with _>_<name>`` as Keras."""
        ref_name = str(getattr(reference_variable, "path", None) or getattr(reference_variable, "name", "variable"))
        vname = ref_name.replace("/", "_").replace(":", "_") + f"_{name or 'var'}"
        slot = self.add_variable(reference_variable.shape, initializer=initializer,
                                 dtype=reference_variable.dtype.name, name=vname)
        # the slot's memory follows its variable's (unidl.nn.layouts), so the update kernel gets alike operands
        return slot._set_order(getattr(reference_variable, "_order", None))

    def add_optimizer_variables(self, trainable_variables: Sequence[Variable], name: Any,
                                initializer: Any = "zeros") -> Any:
        """One slot per trainable variable, in order (None for a variable with ``overwrite_with_gradient``).

        ``name`` a list of names (and ``initializer`` one per name, or one for all): a tuple of such lists,
        created interleaved per variable as Keras does.
        """
        single = isinstance(name, str)
        names = [name] if single else list(name)
        if single or isinstance(initializer, str) or not isinstance(initializer, (list, tuple)):
            inits = [initializer] * len(names)
        else:
            inits = list(initializer)
        if len(names) != len(inits):
            raise ValueError("The number of provided names must match the number of provided initializers.  "
                             f"Received name='{name}', initializer='{initializer}'")
        out: Tuple[List[Any], ...] = tuple([] for _ in names)
        for v in trainable_variables:
            skip = getattr(v, "overwrite_with_gradient", False)
            for i, (n, init) in enumerate(zip(names, inits)):
                out[i].append(None if skip else self.add_variable_from_reference(v, n, init))
        return out[0] if single else out

    def assign(self, variable: Variable, value: Any) -> None:
        """``variable.assign(value)`` (the spelling Keras's custom ``update_step`` uses)."""
        variable.assign(value)

    def assign_add(self, variable: Variable, value: Any) -> None:
        variable.assign_add(value)

    def assign_sub(self, variable: Variable, value: Any) -> None:
        variable.assign_sub(value)

    def _var_key(self, variable: Variable) -> int:
        return id(variable)

    def build(self, variables: Sequence[Variable]) -> None:
        """Record the trainable variables; subclasses then create their slots (calling this first).

        With ``use_ema`` an ``average`` slot per variable comes first, then (with gradient accumulation) a
        ``gradient_accumulator`` slot per variable, as Keras orders them.
        """
        variables = list(variables)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = [self.add_variable_from_reference(v, "gradient_accumulator")
                                           for v in variables]
        self._trainable_variables = variables
        self._trainable_variables_indices = {id(v): i for i, v in enumerate(self._trainable_variables)}
        self.built = True
        pending = self.__dict__.pop("_pending_weights", None)
        if pending is not None and len(pending) == len(self._variables):
            self.set_weights(pending)

    def _get_variable_index(self, variable: Variable) -> int:
        return self._trainable_variables_indices[id(variable)]

    @property
    def variables(self) -> List[Variable]:
        """All optimizer variables in Keras's save order: iterations, learning_rate (a float), the slots."""
        return list(self._variables)

    @property
    def iterations(self) -> Any:
        """The number of updates applied so far (the Variable; with gradient accumulation, the number of
        accumulated updates ``_iterations // gradient_accumulation_steps``, a tensor)."""
        if self.gradient_accumulation_steps:
            return unidl.ops.floor_divide(self._iterations, int(self.gradient_accumulation_steps))
        return self._iterations

    def _update_count(self) -> int:
        """The number of updates done so far as a Python int (``iterations``)."""
        n = int(self._iterations.numpy())
        return n // int(self.gradient_accumulation_steps) if self.gradient_accumulation_steps else n

    # -- learning rate -------------------------------------------------------------------------------
    @property
    def learning_rate(self) -> Any:
        """The learning rate Variable, or the schedule's value at ``iterations``."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return lr(self._iterations)
        if isinstance(lr, Variable):
            return lr
        if callable(lr):
            return lr()
        return lr

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        prev = self._learning_rate if isinstance(self._learning_rate, Variable) else None
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            if isinstance(self._learning_rate, _schedules.LearningRateSchedule):
                raise TypeError("This optimizer was created with a `LearningRateSchedule` object as its "
                                "`learning_rate` constructor argument, hence its learning rate is not settable. If "
                                "you need the learning rate to be settable, you should instantiate the optimizer "
                                "with a float `learning_rate` argument.")
            if not isinstance(self._learning_rate, Variable):  # was a plain callable: keep a variable again
                self._learning_rate = self._own_variable(
                    np.asarray(self._check_lr_number(learning_rate), dtype=config.floatx()), "learning_rate")
                self._variables.insert(1, self._variables.pop())
                return
            self._learning_rate.assign(np.asarray(self._check_lr_number(learning_rate), dtype=config.floatx()))
        if prev is not None and not isinstance(self._learning_rate, Variable):
            self._variables = [v for v in self._variables if v is not prev]

    # Keras 2 spelling
    lr = learning_rate

    def _current_learning_rate(self) -> float:
        """The rate this step uses, a Python float (Keras 2 ``decay`` applied when set)."""
        value = self.learning_rate
        lr = float(value.numpy()) if isinstance(value, Tensor) else float(value)
        if self.decay:
            lr = lr * (1.0 / (1.0 + float(self.decay) * int(self._iterations.numpy())))
        return lr

    # -- weight decay ----------------------------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list: Optional[Iterable[Variable]] = None,
                                  var_names: Optional[Iterable[str]] = None) -> None:
        """Skip weight decay for ``var_list`` and for variables whose name contains one of ``var_names``."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._exclude_from_weight_decay = {id(v) for v in var_list} if var_list else set()
        names = list(var_names or [])
        self._exclude_from_weight_decay_pattern = re.compile("|".join(set(names))) if names else None

    def _use_weight_decay(self, variable: Variable) -> bool:
        if id(variable) in self._exclude_from_weight_decay:
            return False
        pattern = self._exclude_from_weight_decay_pattern
        if pattern is not None and re.search(pattern, str(getattr(variable, "name", ""))) is not None:
            return False
        return True

    def _weight_decay_for(self, variable: Variable) -> float:
        """The decoupled decay to fold into ``variable``'s update (0.0 when off or excluded)."""
        if not self.weight_decay or not self._use_weight_decay(variable):
            return 0.0
        return float(self.weight_decay)

    def _apply_weight_decay(self, variables: Sequence[Variable]) -> None:
        """Keras's decoupled decay on its own, in place: ``v = v - v * weight_decay * learning_rate``."""
        lr = None
        for v in variables:
            wd = self._weight_decay_for(v)
            if wd:
                lr = self._current_learning_rate() if lr is None else lr
                _optim.decoupled_weight_decay(v, wd, lr)

    # -- applying gradients ----------------------------------------------------------------------------
    def scale_loss(self, loss: Any) -> Any:
        """``loss * loss_scale_factor`` when a factor is set (the gradients are divided back in apply)."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def apply_gradients(self, grads_and_vars: Iterable[Tuple[Any, Variable]]) -> Variable:
        """Apply ``[(grad, variable), ...]``; returns ``iterations`` (as tf.keras did)."""
        pairs = list(grads_and_vars)
        grads = [g for g, _ in pairs]
        variables = [v for _, v in pairs]
        self.apply(grads, variables)
        return self._iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Optional[Sequence[Variable]] = None) -> None:
        """Update the variables from ``grads`` (one per variable; None = no gradient, skipped).

        Without ``trainable_variables`` the optimizer must be built and ``grads`` matches the variables it
        was built with; with them, the first call builds it.
        """
        grads = list(grads)
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must already be built "
                                 "on a list of variables. Call `optimizer.build(trainable_variables)` first. ")
            if len(grads) != len(self._trainable_variables_indices):
                raise ValueError("When passing `grads` as a list of gradient tensors, the gradients must match "
                                 f"`optimizer.variables` one-to-on. Received a list of {len(grads)} gradients, but "
                                 f"the optimizer is tracking {len(self._trainable_variables)} trainable variables.")
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
                self.built = True
            self._check_variables_are_known(trainable_variables)
        with unidl.no_grad():
            grads, variables = self._filter_empty_gradients(grads, trainable_variables)
            grads, variables = self._overwrite_variables_directly_with_gradients(grads, variables)
            if grads:
                if self.loss_scale_factor is not None:
                    grads = [unidl.ops.divide(g, float(self.loss_scale_factor)) for g in grads]
                self._backend_apply_gradients(grads, variables)
                for v in variables:
                    if getattr(v, "constraint", None) is not None:
                        v.assign(v.constraint(v))
            self._iterations.assign(np.asarray(int(self._iterations.numpy()) + 1, dtype=np.int64))

    def _is_accumulation_update_step(self) -> bool:
        return (int(self._iterations.numpy()) + 1) % int(self.gradient_accumulation_steps) == 0

    def _backend_apply_gradients(self, grads: List[Tensor], variables: List[Variable]) -> None:
        """Clip and update (or accumulate, with ``gradient_accumulation_steps``), then the EMA, as Keras."""
        if self.gradient_accumulation_steps:
            acc = [self._accumulated_gradients[self._get_variable_index(v)] for v in variables]
            if self._is_accumulation_update_step():
                steps = float(self.gradient_accumulation_steps)
                grads = [unidl.ops.divide(unidl.ops.add(g, a), steps) for g, a in zip(grads, acc)]
                self._run_update(grads, variables)
                for a in self._accumulated_gradients:
                    a.assign(np.zeros(a.shape, dtype=a.dtype.name))
            else:
                for g, a in zip(grads, acc):
                    a.assign(unidl.ops.add(g, a))
        else:
            self._run_update(grads, variables)
        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            if self.ema_overwrite_frequency and (self._update_count() + 1) % int(self.ema_overwrite_frequency) == 0:
                self._overwrite_model_variables_with_average_value(self._trainable_variables)

    def _run_update(self, grads: List[Tensor], variables: List[Variable]) -> None:
        grads = self._clip_gradients(grads)
        self._step_now = self._update_count() + 1  # read once per apply (``_local_step``), not once per variable
        try:
            self._backend_update_step(grads, variables, self._current_learning_rate())
        finally:
            self._step_now = None

    def _update_model_variables_moving_average(self, trainable_variables: Sequence[Variable]) -> None:
        """``average = m * average + (1 - m) * var`` with ``m = ema_momentum`` (0 on the first update)."""
        momentum = float(self.ema_momentum) if self._update_count() != 0 else 0.0
        for var, average in zip(trainable_variables, self._model_variables_moving_average):
            if average is None:
                continue
            dt = var.dtype.type
            average.assign(unidl.ops.add(unidl.ops.multiply(average, dt(momentum)),
                                         unidl.ops.multiply(var, dt(1.0 - momentum))))

    def _overwrite_model_variables_with_average_value(self, trainable_variables: Sequence[Variable]) -> None:
        """Assign every variable its moving average."""
        averages = self._model_variables_moving_average
        if len(trainable_variables) != len(averages):
            raise ValueError(f"The length of model variables ({len(trainable_variables)}) to override does not "
                             "match the length of model variables stored in the optimizer "
                             f"({len(averages)}). Please check if the optimizer was called on your model.")
        for var, average in zip(trainable_variables, averages):
            if average is not None:
                var.assign(average)

    def stateless_apply(self, optimizer_variables: Sequence[Any], grads: Sequence[Any],
                        trainable_variables: Sequence[Any]) -> Tuple[List[Tensor], List[Tensor]]:
        """:meth:`apply` on given values instead of the variables' own: returns the updated
        ``(trainable_variables, optimizer_variables)`` values and leaves every variable as it was."""
        if not self.built:
            raise ValueError(f"To call `stateless_apply`, {type(self).__name__} must be built (i.e. its variables "
                             "must have been created). You can build it via `optimizer.build(trainable_variables)`.")
        own = self.variables
        if len(optimizer_variables) != len(own):
            raise ValueError("Argument `optimizer_variables` must be a list of tensors corresponding 1:1 to "
                             f"{type(self).__name__}().variables. Received list with length "
                             f"{len(optimizer_variables)}, but expected {len(own)} variables.")
        if len(trainable_variables) != len(self._trainable_variables):
            raise ValueError("Argument `optimizer_variables` must be a list of tensors corresponding 1:1 to the "
                             "trainable variables list that the optimizer was built with. Received "
                             f"len(trainable_variables) == {len(trainable_variables)} whereas the optimizer was "
                             f"built with {len(self._trainable_variables)} variables.")
        mapped = list(self._trainable_variables) + list(own)
        values = list(trainable_variables) + list(optimizer_variables)
        saved = [v.numpy().copy() for v in mapped]
        try:
            for v, value in zip(mapped, values):
                if value is not v:
                    v.assign(value)
            self.apply(grads)
            new = [convert_to_tensor(v.numpy().copy()) for v in mapped]
        finally:
            for v, value in zip(mapped, saved):
                v.assign(value)
        n = len(self._trainable_variables)
        return new[:n], new[n:]

    def _check_variables_are_known(self, variables: Sequence[Variable]) -> None:
        for v in variables:
            if id(v) not in self._trainable_variables_indices:
                raise ValueError(f"Unknown variable: {v}. This optimizer can only be called for the variables it "
                                 "was originally built with. When working with a new set of variables, you should "
                                 "recreate a new optimizer instance.")

    @staticmethod
    def _filter_empty_gradients(grads: Sequence[Any], variables: Sequence[Variable]
                                ) -> Tuple[List[Tensor], List[Variable]]:
        kept_g: List[Tensor] = []
        kept_v: List[Variable] = []
        missing = []
        for g, v in zip(grads, variables):
            if g is None:
                missing.append(getattr(v, "path", getattr(v, "name", "variable")))
                continue
            kept_g.append(g if isinstance(g, Tensor) else convert_to_tensor(g))
            kept_v.append(v)
        if not kept_g:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss. If using "
                          "`model.compile()`, did you forget to provide a `loss` argument?", stacklevel=3)
        return kept_g, kept_v

    def _overwrite_variables_directly_with_gradients(self, grads: List[Tensor], variables: List[Variable]
                                                     ) -> Tuple[List[Tensor], List[Variable]]:
        kept_g, kept_v = [], []
        for g, v in zip(grads, variables):
            if getattr(v, "overwrite_with_gradient", False):
                if self.gradient_accumulation_steps:
                    # Keras: the accumulator keeps the running maximum; the update step assigns it
                    acc = self._accumulated_gradients[self._get_variable_index(v)]
                    top = unidl.ops.maximum(g, acc)
                    if self._is_accumulation_update_step():
                        v.assign(top)
                        acc.assign(np.zeros(acc.shape, dtype=acc.dtype.name))
                    else:
                        acc.assign(top)
                else:
                    v.assign(g)
            else:
                kept_g.append(g)
                kept_v.append(v)
        return kept_g, kept_v

    def _clip_gradients(self, grads: List[Tensor]) -> List[Tensor]:
        grads = [g if g is None or isinstance(g, Tensor) else convert_to_tensor(g) for g in grads]
        if self.clipnorm and self.clipnorm > 0:
            return [_optim.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return _optim.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return _optim.clip_by_value(grads, self.clipvalue)
        return grads

    def _backend_update_step(self, grads: List[Tensor], variables: List[Variable], learning_rate: float) -> None:
        """Run :meth:`update_step` for every (gradient, variable) pair (Nadam adds a per-step prelude)."""
        for g, v in zip(grads, variables):
            self.update_step(g, v, learning_rate)

    _step_now: Optional[int] = None  # iterations + 1 while apply() runs the updates

    @property
    def _local_step(self) -> int:
        """The 1-based step ``t`` of the update running now (``iterations + 1``)."""
        step = self._step_now
        return step if step is not None else self._update_count() + 1

    def update_step(self, gradient: Tensor, variable: Variable, learning_rate: float) -> None:
        """Update ``variable`` (and its slots) in place; subclasses call a :mod:`unidl.nn.optim` rule."""
        raise NotImplementedError

    # -- state -----------------------------------------------------------------------------------------
    def set_weights(self, weights: Sequence[Any]) -> None:
        """Assign ``weights`` (arrays in :attr:`variables` order) to the optimizer variables."""
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet been built. Please "
                             "call `optimizer.build(trainable_variables)` to create the optimizer weights before "
                             "calling `set_weights()`.")
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(f"Optimizer variable {variable.path} has shape {tuple(variable.shape)} not "
                                 f"compatible with provided weight shape {tuple(np.shape(weight))}.")
            variable.assign(weight)

    def save_own_variables(self, store: Dict[str, Any]) -> None:
        """Write the variables to ``store`` as ``'0'``, ``'1'``, ... (Keras's ``.keras``/``.weights.h5`` layout)."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store: Dict[str, Any]) -> None:
        """Read the variables back from ``store``; a count mismatch warns and loads nothing (as Keras)."""
        if len(store.keys()) != len(self.variables):
            msg = (f"Skipping variable loading for optimizer '{self.name}', because it has {len(self.variables)} "
                   f"variables whereas the saved optimizer has {len(store.keys())} variables. ")
            if len(self.variables) == 0:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        for i, variable in enumerate(self.variables):
            variable.assign(np.asarray(store[str(i)]))

    def finalize_variable_values(self, var_list: Sequence[Variable]) -> None:
        """Called at the end of ``fit``: with ``use_ema`` the variables take their moving averages."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    # -- pickling ----------------------------------------------------------------------------------------
    def __reduce__(self):
        """Pickle as (class, config, variable values); the values are restored when the copy is built."""
        values = [v.numpy() for v in self._variables] if self.built else None
        return (_unpickle_optimizer, (type(self), self.get_config(), values))

    # -- config ----------------------------------------------------------------------------------------
    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments, with Keras 3's keys (plus ``decay`` when the Keras 2 decay is set)."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr_cfg: Any = _schedules.serialize(lr)
        elif isinstance(lr, Variable):
            lr_cfg = float(lr.numpy())
        else:
            lr_cfg = lr
        cfg = {"name": self.name, "learning_rate": lr_cfg, "weight_decay": self.weight_decay,
               "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
               "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
               "ema_overwrite_frequency": self.ema_overwrite_frequency, "loss_scale_factor": self.loss_scale_factor,
               "gradient_accumulation_steps": self.gradient_accumulation_steps}
        if self.decay:
            cfg["decay"] = self.decay
        return cfg

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> "Optimizer":
        """The optimizer back from :meth:`get_config` (a serialized schedule is deserialized)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _unpickle_optimizer(cls: type, config: Dict[str, Any], values: Optional[List[Any]]) -> "Optimizer":
    opt = cls.from_config(config)
    if values is not None:
        opt._pending_weights = values
    return opt


# Keras 3 keeps this alias
BaseOptimizer = Optimizer
