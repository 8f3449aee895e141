"""``Model.compile`` / ``fit`` / ``evaluate`` / ``predict`` and the ``*_on_batch`` methods (Keras 3).

As in Keras 3, ``fit`` calls ``self.train_step(data)`` once per batch with the batch as the data adapter
makes it (``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``; unpack it with
``keras.utils.unpack_x_y_sample_weight``) and takes the dict it returns as the batch logs; at the end of
an epoch the logs are the metrics' results when their names are those keys, else the last step's dict.
``evaluate``/validation do the same with ``test_step`` and ``predict`` concatenates what
``predict_step`` returns. ``fit`` opens the autograd recording scope around ``train_step``, so a custom
step written in Keras's PyTorch style works: ``self.zero_grad()``, ``loss.backward()``,
``[v.value.grad for v in self.trainable_weights]``, ``self.optimizer.apply(grads, variables)``.

When the model keeps the default steps, the loop runs the same computation without building a logs
dict per batch: the metrics are read only when a callback reads the batch logs, and at the epoch's end.
"""
from __future__ import annotations

import inspect
import math
import warnings
from typing import Any, Dict, List, Optional

import numpy as np

import unidl
import unidl.capture
from unidl import ops
from unidl.autograd import STATE as _AG
from unidl.tensor import Tensor

from ..backend import config as _bconfig
from ..backend.common import convert_to_tensor
from ..utils import tree
from . import data_adapter
from .compile_utils import CompileLoss, CompileMetrics
from .data_adapter import unpack_x_y_sample_weight


def _to_value(v: Any) -> float:
    if isinstance(v, Tensor):
        return float(v.numpy())
    return float(v)


def _pythonify(logs: Any) -> Dict[str, Any]:
    from ..callbacks.callback_list import pythonify_logs

    return pythonify_logs(logs)


_TAKES_TRAINING: Dict[type, bool] = {}


def _batch_size_of(x: Any) -> int:
    """The batch size the loss tracker weighs a batch by: the first dim of the first input (Keras's rule)."""
    if hasattr(x, "shape") and not isinstance(x, (list, tuple, dict)):
        return int(x.shape[0])
    for leaf in tree.flatten(x):
        if leaf is not None:
            return int(leaf.shape[0]) if hasattr(leaf, "shape") else len(leaf)
    return 1


class _Unplain:
    """The model's outputs as they are, when they are not tensors in plain containers (no replay then)."""

    __slots__ = ("out",)

    def __init__(self, out: Any) -> None:
        self.out = out


class Trainer:
    """Training methods mixed into :class:`~unidl_keras.models.Model`."""

    def __init__(self) -> None:
        # a class mixing Trainer into a Layer calls Trainer.__init__(self) after the Layer's (as in Keras)
        self._init_trainer()

    def _init_trainer(self) -> None:
        d = self.__dict__
        d["compiled"] = False
        d["optimizer"] = None
        d["loss"] = None
        d["_compile_loss"] = None
        d["_compile_metrics"] = None
        d["_compile_config"] = None
        d["stop_training"] = False
        d["stop_evaluating"] = False
        d["stop_predicting"] = False
        d["history"] = None
        d["_loss_tracker"] = None
        d["steps_per_execution"] = 1
        d["run_eagerly"] = False
        d["jit_compile"] = None

    # -- compile ----------------------------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None, metrics: Any = None,
                weighted_metrics: Any = None, run_eagerly: bool = False, steps_per_execution: int = 1,
                jit_compile: Any = "auto", auto_scale_loss: bool = True, **kwargs: Any) -> None:
        """Configure training: ``optimizer`` (name, config or instance), ``loss`` (per output: name, function or
        Loss; list or dict for several outputs), ``loss_weights``, ``metrics``/``weighted_metrics``."""
        from .. import metrics as metrics_mod
        from .. import optimizers

        for k in kwargs:
            if k in ("sample_weight_mode", "target_tensors", "distribute", "experimental_steps_per_execution"):
                warnings.warn(f"compile(): the Keras 2 argument `{k}` has no effect in Keras 3 and is ignored.",
                              stacklevel=2)
            else:
                raise TypeError(f"Invalid keyword argument(s) in `compile()`: ({k!r},). Valid keyword arguments include "
                                "\"cloning\", \"experimental_run_tf_function\", \"distribute\", \"target_tensors\", or "
                                "\"sample_weight_mode\".")
        # set through __dict__: the compiled trackers are not the user's metrics (Keras compiles without
        # automatic dependency tracking)
        d = self.__dict__
        if _strategy_scope_open():  # compiled under tf.distribute.MirroredStrategy().scope(): fit data-parallel
            d["_dp_requested"] = True
        d["optimizer"] = optimizers.get(optimizer)
        policy = getattr(getattr(self, "dtype_policy", None), "name", None)
        if auto_scale_loss and policy == "mixed_float16" and d["optimizer"] is not None \
                and not isinstance(d["optimizer"], optimizers.LossScaleOptimizer):
            # float16 gradients underflow: as Keras, a mixed_float16 model trains through a LossScaleOptimizer
            d["optimizer"] = optimizers.LossScaleOptimizer(d["optimizer"], name="loss_scale_optimizer")
        # the model's forward is captured (unidl.capture) unless the user asks for eager execution; "auto"
        # reads False as on Keras's torch backend, the attribute users compare with
        d["_unidl_capture"] = None if (run_eagerly or jit_compile is False) else {}
        if jit_compile == "auto":
            jit_compile = False
        elif jit_compile and run_eagerly:
            warnings.warn("If `run_eagerly` is True, then `jit_compile` cannot also be True. Disabling "
                          "`jit_compile`.", stacklevel=2)
            jit_compile = False
        d["jit_compile"] = bool(jit_compile)
        d["run_eagerly"] = bool(run_eagerly)
        d["steps_per_execution"] = steps_per_execution
        d["loss"] = loss
        names = self._output_names()
        model_names = list(getattr(self, "output_names", None) or [])  # none for subclassed models, as Keras
        d["_compile_loss"] = CompileLoss(loss, loss_weights, model_names) if loss is not None else None
        d["_compile_metrics"] = None
        if metrics is not None or weighted_metrics is not None:
            d["_compile_metrics"] = CompileMetrics(
                metrics, weighted_metrics, names,
                self._compile_loss if self._compile_loss else [None] * len(names))
        d["_loss_tracker"] = metrics_mod.Mean(name="loss")
        d["_compile_config"] = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                                "metrics": metrics, "weighted_metrics": weighted_metrics}
        d["compiled"] = True
        d["stop_training"] = False

    def _output_names(self) -> List[str]:
        names = getattr(self, "output_names", None)
        if names:
            struct = getattr(self, "_outputs_struct", None)
            if isinstance(struct, dict):
                return list(struct)
            return list(names)
        return ["output"]

    def _assert_compiled(self) -> None:
        if not self.compiled:
            raise ValueError("You must call `compile()` before using the model.")

    def get_compile_config(self) -> Optional[Dict[str, Any]]:
        if not self.compiled or self._compile_config is None:
            return None
        from ..saving.serialization import serialize_keras_object

        return {k: serialize_keras_object(v) if k == "optimizer" or not isinstance(v, (str, type(None), list, dict))
                else v for k, v in self._compile_config.items()}

    def compile_from_config(self, config: Dict[str, Any]) -> None:
        from ..saving.serialization import deserialize_keras_object

        cfg = dict(config)
        if isinstance(cfg.get("optimizer"), dict):
            cfg["optimizer"] = deserialize_keras_object(cfg["optimizer"])
        self.compile(**cfg)
        if self.built and self.optimizer is not None and hasattr(self.optimizer, "build"):
            self.optimizer.build(self.trainable_variables)

    # -- metrics ------------------------------------------------------------------------------------------
    @property
    def metrics(self) -> List[Any]:
        """Keras's order: the loss tracker, the compiled metrics (one ``compile_metrics`` object), the
        per-output loss trackers, metrics assigned as attributes of the model, then those of its layers
        (not of nested models)."""
        out: List[Any] = []
        if self.compiled:
            if self._loss_tracker is not None:
                out.append(self._loss_tracker)
            if self._compile_metrics is not None:
                out.append(self._compile_metrics)
            if self._compile_loss is not None:
                out.extend(self._compile_loss.metrics)
        out.extend(self._metrics)
        for layer in self._flatten_layers(include_self=False):
            if isinstance(layer, Trainer):
                continue
            out.extend(layer._metrics)
        return out

    @property
    def metrics_names(self) -> List[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self) -> Dict[str, Any]:
        """``{name: result}`` of every metric in ``self.metrics`` (a metric whose result is a dict, such as
        ``compile_metrics``, contributes its entries)."""
        out: Dict[str, Any] = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                out.update(result)
            else:
                out[metric.name] = result
        return out

    def _get_metrics_result_or_logs(self, logs: Any) -> Any:
        """The metrics' results when their names are the keys of ``logs`` (a step's dict), else ``logs``."""
        metric_logs = self.get_metrics_result()
        if isinstance(logs, dict) and set(logs) == set(metric_logs):
            return metric_logs
        return logs

    def _flatten_metrics_in_order(self, logs: Dict[str, Any]) -> Any:
        """``logs`` as a list in ``metrics`` order (then the other keys sorted); a single value alone."""
        names: List[str] = []
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics):
                names += [m.name for m in metric.metrics]
            else:
                names.append(metric.name)
        results = [logs[n] for n in names if n in logs]
        results += [logs[k] for k in sorted(logs) if k not in names]
        return results[0] if len(results) == 1 else results

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> Dict[str, Any]:
        """Update the compiled metrics with this batch; returns ``get_metrics_result()``."""
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    # -- steps ------------------------------------------------------------------------------------------
    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None,
                     training: bool = True) -> Tensor:
        """The compiled loss plus the regularization losses of the layers (``self.losses``)."""
        loss = self._compile_loss(y, y_pred, sample_weight) if self._compile_loss is not None else None
        extra = self.losses
        for term in extra:
            loss = term if loss is None else ops.add(loss, term)
        if loss is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return loss

    def _compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None,
                      training: bool = True) -> Tensor:
        """``compute_loss``, passing ``training`` only to an override that accepts it (the argument came
        in Keras 3.3; older overrides are ``compute_loss(x, y, y_pred, sample_weight)``)."""
        cls = type(self)
        takes = _TAKES_TRAINING.get(cls)
        if takes is None:
            takes = _TAKES_TRAINING[cls] = "training" in inspect.signature(self.compute_loss).parameters
        if takes:
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def _check_nan_terminate(self) -> None:
        pass

    def _train_update(self, x: Any, y: Any, sw: Any) -> Any:
        """The default train step up to the metrics: forward and loss recorded, the loss tracker updated,
        gradients by backward, the optimizer applied. Returns ``y_pred``."""
        prev = _AG.recording, _AG.training
        _AG.recording = _AG.training = True  # unidl.autograd.record(), without the context-manager calls
        try:
            y_pred, loss = self._forward_and_loss(x, y, sw)
            optimizer = self.optimizer
            # as Keras: a static factor or LossScaleOptimizer's dynamic scale (recorded, so gradients scale too)
            scaled = optimizer.scale_loss(loss)
        finally:
            _AG.recording, _AG.training = prev
        self._loss_tracker.update_state(loss.detach(), sample_weight=_batch_size_of(x))
        loss = scaled
        variables = self.trainable_variables
        if variables:
            # data-parallel fit (keras.distribution / MirroredStrategy / multi_gpu_model) or a horovod.keras
            # DistributedOptimizer: gradients reduced across ranks in buckets while backward runs
            dp = self.__dict__.get("_dp_engine")
            overlap = dp.overlap if dp is not None else getattr(optimizer, "_unidl_grad_overlap", None)
            if overlap is not None:
                overlap.arm(variables)
            if loss.requires_grad:
                loss.backward()
            grads = [v.grad for v in variables]
            for v in variables:
                v.grad = None
            if dp is not None:
                dp.reduce(grads, variables)
            elif overlap is not None and overlap.reduce(grads, variables):
                optimizer.__dict__["_unidl_reduced"] = True  # its apply skips the reduction
            optimizer.apply(grads, variables)
        else:
            warnings.warn("The model does not have any trainable weights.", stacklevel=3)
        return y_pred

    def _test_update(self, x: Any, y: Any, sw: Any) -> Any:
        """The default test step up to the metrics (forward, loss, loss tracker); returns ``y_pred``."""
        y_pred = self._forward(x, False)
        loss = self._compute_loss(x, y, y_pred, sw, training=False)
        self._loss_tracker.update_state(loss.detach(), sample_weight=_batch_size_of(x))
        return y_pred

    def _forward(self, x: Any, training: bool) -> Any:
        """``self(x, training=training)`` for the default steps: captured per input signature (as Keras's
        ``jit_compile="auto"`` compiles a model that traces), bitwise the eager call; eager with
        ``run_eagerly=True`` or ``jit_compile=False``, and for a signature whose work depends on values (one
        ``unidl.capture.CaptureWarning``)."""
        caps = self.__dict__.get("_unidl_capture")
        if caps is None or type(x) is not Tensor or not self.built or unidl.capture.is_capturing():
            return self(x, training=training)
        cap = caps.get(training)
        if cap is False:
            return self(x, training=training)
        if cap is None:
            if self.losses:  # weight or activity regularizers, add_loss: a replay would not add them
                caps[training] = False
                return self(x, training=training)
            cap = caps[training] = unidl.capture.CapturedFunction(
                lambda t: self._captured_forward(t, training), lambda: self.variables,
                f"{self.name}(training={training})")
        outs, structure = cap(x)
        if structure is None:
            return outs[0]
        return tree.pack_sequence_as(structure, outs) if outs or not structure else structure

    def _forward_and_loss(self, x: Any, y: Any, sw: Any) -> Any:
        """``(y_pred, loss)`` of the default train step. The training forward and the compiled loss are captured
        as one function (one replay, one autograd node: Keras compiles the whole step) when the forward
        captures, the loss is the compiled one (``compute_loss`` not overridden, no per-output loss trackers)
        and the batch is plain tensors without sample weights; two calls otherwise. ``y_pred`` comes back
        without a graph (the step reads it only for metrics); bitwise the eager values either way."""
        caps = self.__dict__.get("_unidl_capture")
        closs = self._compile_loss
        cap = False if (caps is None or sw is not None or type(x) is not Tensor or type(y) is not Tensor
                        or not self.built or unidl.capture.is_capturing() or closs is None
                        or not closs.built  # (its first call builds it: work the next calls do not repeat)
                        or type(self).compute_loss is not Trainer.compute_loss
                        or getattr(closs, "trackers", None)) else caps.get("train_loss")
        if cap is None:  # regularizers, add_loss (self.losses): a replay would not add them
            cap = caps["train_loss"] = False if self.losses else unidl.capture.CapturedFunction(
                self._captured_forward_and_loss, lambda: self.variables, f"{self.name} train step (forward and loss)")
        if cap is False:
            y_pred = self._forward(x, True)
            return y_pred, self._compute_loss(x, y, y_pred, sw, training=True)
        outs, structure = cap(x, y)
        preds, loss = outs[:-1], outs[-1]
        if structure is None:
            return preds[0], loss
        if type(structure) is _Unplain:  # outputs a replay cannot carry: this signature runs eagerly
            return structure.out, loss
        return tree.pack_sequence_as(structure, preds) if preds or not structure else structure, loss

    def _captured_forward_and_loss(self, x: Tensor, y: Tensor) -> Any:
        out = self(x, training=True)
        if self.losses:
            unidl.capture.refuse("the model adds losses in its call (add_loss, activity or weight regularizers), "
                                 "which a replay would not add")
        loss = self.compute_loss(x, y, out, None, training=True)
        if isinstance(out, Tensor):
            return [out.detach(), loss], None
        flat = tree.flatten(out)
        if type(out) not in (list, tuple, dict) or not all(isinstance(o, Tensor) for o in flat):
            unidl.capture.refuse("the outputs are not tensors in plain lists, tuples or dicts")
            return [loss], _Unplain(out)
        return [o.detach() for o in flat] + [loss], tree.map_structure(lambda _: 0, out)

    def _captured_forward(self, x: Tensor, training: bool) -> Any:
        out = self(x, training=training)
        if self.losses:
            unidl.capture.refuse("the model adds losses in its call (add_loss, activity or weight regularizers), "
                                 "which a replay would not add")
        if isinstance(out, Tensor):
            return [out], None
        flat = tree.flatten(out)
        if type(out) not in (list, tuple, dict) or not all(isinstance(o, Tensor) for o in flat):
            unidl.capture.refuse("the outputs are not tensors in plain lists, tuples or dicts")
            return [], out
        return flat, tree.map_structure(lambda _: 0, out)

    def train_step(self, data: Any) -> Dict[str, Any]:
        """One optimizer step on the batch ``data``; returns the logs (``compute_metrics``'s dict)."""
        x, y, sw = unpack_x_y_sample_weight(data)
        y_pred = self._train_update(x, y, sw)
        return self.compute_metrics(x, y, y_pred, sample_weight=sw)

    def test_step(self, data: Any) -> Dict[str, Any]:
        """Loss and metrics on the batch ``data``; returns the logs."""
        x, y, sw = unpack_x_y_sample_weight(data)
        y_pred = self._test_update(x, y, sw)
        return self.compute_metrics(x, y, y_pred, sample_weight=sw)

    def predict_step(self, data: Any) -> Any:
        """The model's outputs on the batch ``data``."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _default_steps(self, kind: str) -> bool:
        """Whether the ``kind`` ('train'/'test') step and what it reports are Trainer's own, so the loop
        may skip building the logs dict per batch (same updates, logs read lazily)."""
        cls = type(self)
        step = Trainer.train_step if kind == "train" else Trainer.test_step
        return (getattr(cls, f"{kind}_step") is step and cls.compute_metrics is Trainer.compute_metrics
                and cls.get_metrics_result is Trainer.get_metrics_result)

    def _run_train_step(self, data: Any, fast: bool) -> Any:
        """One training batch inside the recording scope; returns the step's logs (fast: None)."""
        if fast:
            x, y, sw = unpack_x_y_sample_weight(data)
            y_pred = self._train_update(x, y, sw)
            if self._compile_metrics is not None:
                self._compile_metrics.update_state(y, y_pred, sw)
            return None
        prev = _AG.recording, _AG.training
        _AG.recording = _AG.training = True  # Keras's torch loop records every op; a custom step calls backward
        try:
            return self.train_step(data)
        finally:
            _AG.recording, _AG.training = prev

    def _run_test_step(self, data: Any, fast: bool) -> Any:
        prev = _AG.recording
        _AG.recording = False
        try:
            if fast:
                x, y, sw = unpack_x_y_sample_weight(data)
                y_pred = self._test_update(x, y, sw)
                if self._compile_metrics is not None:
                    self._compile_metrics.update_state(y, y_pred, sw)
                return None
            return self.test_step(data)
        finally:
            _AG.recording = prev

    def _update_metrics(self, loss: Tensor, y: Any, y_pred: Any, sw: Any) -> None:
        """Keras 2-era helper kept for callers: feed the loss tracker and the compiled metrics."""
        with unidl.no_grad():
            self._loss_tracker.update_state(loss.detach(), sample_weight=_batch_size_of(y_pred))
        if self._compile_metrics is not None and y is not None:
            self._compile_metrics.update_state(y, y_pred, sw)

    def _logs(self) -> Dict[str, float]:
        return _pythonify(self.get_metrics_result())

    # -- data --------------------------------------------------------------------------------------------
    def _make_batches(self, x: Any, y: Any, sample_weight: Any, class_weight: Any, batch_size: Optional[int],
                      steps: Optional[int], shuffle: Any) -> Any:
        steps = _capped_steps(steps)
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("You cannot use `class_weight` and `sample_weight` at the same time.")
            if y is None:  # a PyDataset or generator: weights from each batch's targets
                return data_adapter.make_batches(x, None, None, batch_size=batch_size, steps=steps, shuffle=shuffle,
                                                 class_weight=class_weight)
            sample_weight = data_adapter.class_weight_to_sample_weight(y, class_weight)
        return data_adapter.make_batches(x, y, sample_weight, batch_size=batch_size, steps=steps, shuffle=shuffle)

    def _ensure_built(self, x: Any) -> None:
        if not self.built:
            with unidl.no_grad():
                self(x, training=False)

    def _symbolic_build(self, data: Any = None, optimizer: bool = False, iterator: Any = None,
                        data_batch: Any = None) -> None:
        """Before the first step (as Keras's ``_symbolic_build``): build the model from the batch ``data``
        (``data_batch``), then the compiled metrics and the compiled loss from the model's output specs on
        that batch's shapes (no metric or loss state changes), and the optimizer when asked."""
        if data is None:
            data = data_batch
        if data is None and iterator is not None:
            data = next(iter(iterator))
        x, y, _ = unpack_x_y_sample_weight(data)
        self._ensure_built(x)
        cm, cl = self._compile_metrics, self._compile_loss
        want_metrics = cm is not None and not cm.built and y is not None and cm.has_metrics
        # an overridden compute_loss may hand the compiled loss other structures (Keras traces the override;
        # here its first real call builds the loss)
        want_loss = (cl is not None and not cl.built and y is not None
                     and type(self).compute_loss is Trainer.compute_loss)
        if want_metrics or want_loss:
            y_pred = self._output_spec_for(x)
            if y_pred is not None:
                if want_metrics:
                    cm.build_from_data(y, y_pred)
                if want_loss:
                    try:
                        cl.build_from_data(y, y_pred)
                    except (ValueError, KeyError, TypeError):
                        pass  # reported with Keras's message by the first step's loss
        if (optimizer or data_batch is not None) and self.optimizer is not None \
                and not getattr(self.optimizer, "built", True):
            self.optimizer.build(self.trainable_variables)

    def _output_spec_for(self, x: Any) -> Any:
        """The model's output KerasTensors for inputs shaped like ``x`` (symbolic outputs of a functional model;
        else a placeholder run); None where the model cannot be traced that way."""
        outputs = getattr(self, "_outputs_struct", None)
        if outputs is not None:
            return outputs
        from ..backend.keras_tensor import KerasTensor

        def spec(v: Any) -> Any:
            if v is None or not hasattr(v, "shape"):
                return v
            dtype = getattr(v, "dtype", "float32")
            return KerasTensor(tuple(v.shape), dtype=getattr(dtype, "name", str(dtype)))

        try:
            return self.compute_output_spec(tree.map_structure(spec, x), training=False)
        except Exception:  # noqa: BLE001 - a call that needs real values: the first step builds instead
            try:
                return self.compute_output_spec(tree.map_structure(spec, x))
            except Exception:  # noqa: BLE001
                return None

    # -- fit ----------------------------------------------------------------------------------------------
    def fit(self, x: Any = None, y: Any = None, batch_size: Optional[int] = None, epochs: int = 1, verbose: Any = "auto",
            callbacks: Any = None, validation_split: float = 0.0, validation_data: Any = None, shuffle: Any = True,
            class_weight: Any = None, sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: Optional[int] = None, validation_steps: Optional[int] = None,
            validation_batch_size: Optional[int] = None, validation_freq: int = 1, **kwargs: Any) -> Any:
        """Train for ``epochs`` epochs; returns the ``History`` callback (``history.history`` dict of lists)."""
        _keras2_fit_kwargs(kwargs)
        self._assert_compiled()
        from ..callbacks import CallbackList

        cap = _bconfig.max_epochs()  # a debugging cap (keras.config.set_max_epochs), warned about as Keras
        if cap and cap < epochs:
            warnings.warn(f"Limiting epochs to {cap}", stacklevel=2)
            epochs = cap
        batches = self._make_batches(x, y, sample_weight, class_weight, batch_size, steps_per_epoch, shuffle)
        val = None
        if validation_split and validation_data is None:
            if not isinstance(batches, data_adapter.ArrayBatches):
                raise ValueError("`validation_split` is only supported for Tensors or NumPy arrays, not for generators "
                                 "or a PyDataset. Pass `validation_data` instead.")
            batches, (vx, vy, vsw) = batches.split(validation_split)
            val = data_adapter.make_batches(vx, vy, vsw, batch_size=validation_batch_size or batch_size,
                                            steps=validation_steps)
        elif validation_data is not None:
            if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3) and not isinstance(
                    validation_data, dict):
                vx, vy, vsw = data_adapter.unpack_x_y_sample_weight(tuple(validation_data))
                val = data_adapter.make_batches(vx, vy, vsw, batch_size=validation_batch_size or batch_size,
                                                steps=validation_steps)
            else:
                val = data_adapter.make_batches(validation_data, steps=validation_steps,
                                                batch_size=validation_batch_size or batch_size)
        verbose = _verbose(verbose)
        from ..distribution.data_parallel import end_fit, engine_for

        dp = engine_for(self)
        if dp is not None:  # several ranks: this rank's shards, weights from rank 0, progress on rank 0 only
            batches, val, verbose = dp.begin_fit(self, batches, val, verbose)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, verbose=verbose, epochs=epochs,
            steps=getattr(batches, "steps", None), model=self)
        self.stop_training = False
        fast = self._default_steps("train")
        run_step = self._run_train_step
        cbs.on_train_begin()
        batch_begin, batch_end = _batch_hooks(cbs, "train")
        metrics_logs = self.get_metrics_result
        training_logs: Dict[str, Any] = {}
        built = False
        ran_out_warned = False
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            step = -1
            logs: Any = None
            for step, data in enumerate(batches.epoch()):
                if not built:
                    self._symbolic_build(data, optimizer=True)
                    built = True
                batch_begin(step)
                logs = run_step(data, fast)
                batch_end(step, metrics_logs if fast else (lambda logs=logs: logs))
                if self.stop_training:
                    break
            if step < 0 and getattr(batches, "exhausted", False) and epoch > initial_epoch:
                # a generator that ran dry in an earlier epoch: Keras warns once and the epochs run without steps
                if not ran_out_warned:
                    warnings.warn("Your input ran out of data; interrupting training. Make sure that your dataset or "
                                  "generator can generate at least `steps_per_epoch * epochs` batches. You may need to "
                                  "use the `.repeat()` function when building your dataset.", stacklevel=2)
                    ran_out_warned = True
            elif step < 0:
                raise ValueError("Unexpected result of `train_function` (Empty logs). This could be due to issues in "
                                 "input pipeline that resulted in an empty dataset. Otherwise, please check the number "
                                 "of samples and `batch_size`.")
            # the metrics' results now (Keras reads them at the epoch's end), unless a custom step reports
            # other keys: then the last step's logs
            epoch_logs = _pythonify(metrics_logs() if fast else self._get_metrics_result_or_logs(logs))
            if val is not None and _should_eval(epoch, validation_freq):
                val_logs = self._evaluate_batches(val, cbs)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            if dp is not None:
                epoch_logs = dp.average_logs(epoch_logs)
            cbs.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        if getattr(self, "optimizer", None) is not None and hasattr(self.optimizer, "finalize_variable_values"):
            self.optimizer.finalize_variable_values(self.trainable_weights)  # EMA: the averages replace the weights
        cbs.on_train_end(training_logs)
        if dp is not None:
            end_fit(self)
        return self.history

    # -- evaluate -----------------------------------------------------------------------------------------
    def _evaluate_batches(self, batches: Any, cbs: Any) -> Dict[str, Any]:
        self.reset_metrics()
        fast = self._default_steps("test")
        if cbs is not None:
            cbs.on_test_begin()
        batch_begin, batch_end = _batch_hooks(cbs, "test")
        metrics_logs = self.get_metrics_result
        run_step = self._run_test_step
        self.stop_evaluating = False
        step = -1
        logs: Any = None
        for step, data in enumerate(batches.epoch()):
            if step == 0:
                self._symbolic_build(data)
            batch_begin(step)
            logs = run_step(data, fast)
            batch_end(step, metrics_logs if fast else (lambda logs=logs: logs))
            if self.stop_evaluating:
                break
        if step < 0:
            out: Dict[str, Any] = {}
        else:
            out = _pythonify(metrics_logs() if fast else self._get_metrics_result_or_logs(logs))
        if cbs is not None:
            cbs.on_test_end(out)
        return out

    def evaluate(self, x: Any = None, y: Any = None, batch_size: Optional[int] = None, verbose: Any = "auto",
                 sample_weight: Any = None, steps: Optional[int] = None, callbacks: Any = None,
                 return_dict: bool = False, **kwargs: Any) -> Any:
        """Loss and metrics on ``x``/``y``: a scalar (one value), a list in ``metrics`` order or a dict."""
        from ..callbacks import CallbackList

        if kwargs:
            raise ValueError(f"Arguments not recognized: {kwargs}")
        self._assert_compiled()
        batches = self._make_batches(x, y, sample_weight, None, batch_size, steps, False)
        verbose = _verbose(verbose)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, verbose=verbose, epochs=1, steps=batches.steps, model=self)
        logs = self._evaluate_batches(batches, cbs)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    # -- predict ------------------------------------------------------------------------------------------
    def predict(self, x: Any, batch_size: Optional[int] = None, verbose: Any = "auto", steps: Optional[int] = None,
                callbacks: Any = None) -> Any:
        """``predict_step`` over the batches of ``x``, as NumPy arrays concatenated along the batch axis
        (in the structure ``predict_step`` returns: by default the model's outputs)."""
        from ..callbacks import CallbackList

        batches = data_adapter.make_batches(x, None, None, batch_size=batch_size, steps=_capped_steps(steps),
                                            shuffle=False)
        verbose = _verbose(verbose)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, verbose=verbose, epochs=1, steps=batches.steps, model=self)
        fast = type(self).predict_step is Trainer.predict_step
        self.stop_predicting = False
        cbs.on_predict_begin()
        outs: List[Any] = []
        for step, data in enumerate(batches.epoch()):
            cbs.on_predict_batch_begin(step)
            out = self._run_predict_step(data, fast)
            outs.append(out)
            cbs.on_predict_batch_end(step, {"outputs": out})
            if self.stop_predicting:
                break
        cbs.on_predict_end()
        if not outs:
            raise ValueError("Unexpected result of `predict_function` (Empty batch_outputs). Please use "
                             "`Model.compile(..., run_eagerly=True)`, or `tf.config.run_functions_eagerly(True)` "
                             "for more information of where went wrong, or file a issue/bug to `keras`.")
        return _concat_batches(outs)

    def _run_predict_step(self, data: Any, fast: bool) -> Any:
        prev = _AG.recording
        _AG.recording = False
        try:
            y = self._forward(data[0], False) if fast else self.predict_step(data)
        finally:
            _AG.recording = prev
        return tree.map_structure(_to_numpy, y)

    # -- on batch -----------------------------------------------------------------------------------------
    def _one_batch(self, x: Any, y: Any, sample_weight: Any) -> tuple:
        """``(x, y, sample_weight)`` as one batch, converted as fit converts its data (Keras passes
        this 3-tuple, Nones included, to the step)."""
        data = next(iter(data_adapter.ArrayBatches(x, y, sample_weight, batch_size=_n(x)).epoch()))
        bx, by, bsw = unpack_x_y_sample_weight(data)
        return (bx, by, bsw)

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       return_dict: bool = False) -> Any:
        """One optimizer step on one batch; returns that batch's loss (and metrics)."""
        self._assert_compiled()
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError(f"Arguments `sample_weight` and `class_weight` cannot be specified at the same "
                                 f"time. Received: sample_weight={sample_weight}, class_weight={class_weight}")
            sample_weight = data_adapter.class_weight_to_sample_weight(y, class_weight)
        data = self._one_batch(x, y, sample_weight)
        self._symbolic_build(data, optimizer=True)
        self.reset_metrics()
        fast = self._default_steps("train")
        logs = self._run_train_step(data, fast)
        return self._batch_result(self.get_metrics_result() if fast else logs, return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        """Loss (and metrics) on one batch, without updating the weights."""
        self._assert_compiled()
        data = self._one_batch(x, y, sample_weight)
        self._symbolic_build(data)
        self.reset_metrics()
        fast = self._default_steps("test")
        logs = self._run_test_step(data, fast)
        return self._batch_result(self.get_metrics_result() if fast else logs, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """``predict_step((x,))`` as NumPy arrays."""
        return self._run_predict_step((tree.map_structure(lambda a: data_adapter._to_tensor(data_adapter._as_array(a)), x),),
                                      type(self).predict_step is Trainer.predict_step)

    def _batch_result(self, logs: Any, return_dict: bool) -> Any:
        logs = _pythonify(logs)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)


def _to_numpy(t: Any) -> Any:
    return t.numpy() if isinstance(t, Tensor) else np.asarray(t)


def _concat_batches(outs: List[Any]) -> Any:
    """The per-batch outputs (same structure each) concatenated along axis 0, leaf by leaf."""
    flat = [tree.flatten(o) for o in outs]
    cat = []
    for i in range(len(flat[0])):
        leaves = [f[i] for f in flat]
        if any(np.ndim(v) == 0 for v in leaves):
            raise ValueError(f"`predict` concatenates what `predict_step` returns along the batch axis, but output "
                             f"{i} of a batch is a scalar (shape ()). Return arrays with a leading batch dimension "
                             f"from `predict_step`.")
        cat.append(np.concatenate(leaves, axis=0))
    from .compile_utils import _pack  # keeps namedtuples (their constructors take fields, not an iterable)

    return _pack(outs[0], cat)


def _capped_steps(steps: Optional[int]) -> Optional[int]:
    """``steps`` under ``keras.config.set_max_steps_per_epoch`` (a debugging cap, warned about as Keras)."""
    cap = _bconfig.max_steps_per_epoch()
    if cap and (not steps or cap < steps):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        return cap
    return steps


def _should_eval(epoch: int, validation_freq: Any) -> bool:
    epoch = epoch + 1  # one-indexed, as the user counts epochs
    if isinstance(validation_freq, int):
        return epoch % max(1, validation_freq) == 0
    if isinstance(validation_freq, (list, tuple)):
        return epoch in validation_freq
    raise ValueError(f"Expected `validation_freq` to be a list or int. Received: validation_freq={validation_freq} "
                     f"of the type {type(validation_freq)}.")


def _no_batch_hook(step: int, logs_fn: Any = None) -> None:
    pass


def _batch_hooks(cbs: Any, kind: str) -> Any:
    """``(begin(step), end(step, logs_fn))`` for ``kind`` 'train' or 'test' batches of ``cbs``.

    A plain :class:`CallbackList` gets the logs as a function and computes them only if a callback reads
    them (see ``CallbackList._dispatch_batch``); a subclass overriding the batch hooks gets them computed."""
    if cbs is None:
        return _no_batch_hook, _no_batch_hook
    from ..callbacks import CallbackList

    begin_name, end_name = f"on_{kind}_batch_begin", f"on_{kind}_batch_end"
    begin, end = getattr(cbs, begin_name), getattr(cbs, end_name)
    dispatch = getattr(cbs, "_dispatch_batch", None)
    if dispatch is None:
        return begin, lambda step, logs_fn: end(step, logs_fn())
    lazy_begin = getattr(type(cbs), begin_name) is getattr(CallbackList, begin_name)
    lazy_end = getattr(type(cbs), end_name) is getattr(CallbackList, end_name)
    return ((lambda step: dispatch(begin_name, step, _none)) if lazy_begin else begin,
            (lambda step, logs_fn: dispatch(end_name, step, logs_fn)) if lazy_end
            else (lambda step, logs_fn: end(step, logs_fn())))


def _none() -> None:
    return None


def _n(x: Any) -> int:
    leaf = tree.flatten(x)[0]
    return int(leaf.shape[0]) if hasattr(leaf, "shape") else len(leaf)


def _strategy_scope_open() -> bool:
    """Whether a ``tf.distribute`` strategy scope (the tensorflow stand-in's) is open."""
    from ..distribute import _OPEN_SCOPES

    return bool(_OPEN_SCOPES)


def _verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    return int(verbose)


def _keras2_fit_kwargs(kwargs: Dict[str, Any]) -> None:
    for k in list(kwargs):
        if k in ("max_queue_size", "workers", "use_multiprocessing"):
            kwargs.pop(k)
            warnings.warn(f"fit(): `{k}` belongs on the keras.utils.PyDataset in Keras 3; ignored here.", stacklevel=3)
        elif k == "nb_epoch":
            raise TypeError("fit(): `nb_epoch` was renamed `epochs`.")
        else:
            raise TypeError(f"fit() got an unexpected keyword argument '{k}'")
