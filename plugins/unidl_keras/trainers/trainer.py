"""``Model.compile`` / ``fit`` / ``evaluate`` / ``predict`` and the ``*_on_batch`` methods (Keras 3).

One train step: the forward pass and loss are recorded by :mod:`unidl.autograd`, ``backward`` writes
each trainable variable's ``.grad``, and the optimizer applies the update rules of
:mod:`unidl.nn.optim` in place. Logs are running means over the epoch, keyed as Keras logs them.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Dict, List, Optional

import numpy as np

import unidl
from unidl import ops
from unidl.tensor import Tensor

from ..backend.common import convert_to_tensor
from ..utils import tree
from . import data_adapter
from .compile_utils import CompileLoss, CompileMetrics


def _to_value(v: Any) -> float:
    if isinstance(v, Tensor):
        return float(v.numpy())
    return float(v)


class Trainer:
    """Training methods mixed into :class:`~unidl_keras.models.Model`."""

    def _init_trainer(self) -> None:
        d = self.__dict__
        d["compiled"] = False
        d["optimizer"] = None
        d["loss"] = None
        d["_compile_loss"] = None
        d["_compile_metrics"] = None
        d["_compile_config"] = None
        d["stop_training"] = False
        d["history"] = None
        d["_loss_tracker"] = None
        d["steps_per_execution"] = 1

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
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        names = self._output_names()
        self._compile_loss = CompileLoss(loss, loss_weights, names) if loss is not None else None
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics, names,
                                               self._compile_loss.losses if self._compile_loss else [None] * len(names))
        self._loss_tracker = metrics_mod.Mean(name="loss")
        self._compile_config = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                                "metrics": metrics, "weighted_metrics": weighted_metrics}
        self.compiled = True
        self.stop_training = False

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

    @property
    def metrics(self) -> List[Any]:
        out: List[Any] = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self._compile_loss is not None:
            out.extend(self._compile_loss.metrics)
        if self._compile_metrics is not None:
            out.extend(self._compile_metrics.metrics)
        return out

    @property
    def metrics_names(self) -> List[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

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

    def _check_nan_terminate(self) -> None:
        pass

    def train_step(self, data: Any) -> Dict[str, float]:
        x, y, sw = data
        variables = self.trainable_variables
        with unidl.autograd.record():
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sw, training=True)
        if loss.requires_grad:
            loss.backward()
        grads = [v.grad for v in variables]
        for v in variables:
            v.grad = None
        self.optimizer.apply(grads, variables)
        return self._update_metrics(loss, y, y_pred, sw)

    def test_step(self, data: Any) -> Dict[str, float]:
        x, y, sw = data
        with unidl.no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(x, y, y_pred, sw, training=False)
        return self._update_metrics(loss, y, y_pred, sw)

    def predict_step(self, data: Any) -> Any:
        x, _, _ = data_adapter.unpack_x_y_sample_weight(data) if isinstance(data, tuple) else (data, None, None)
        with unidl.no_grad():
            return self(x, training=False)

    def _update_metrics(self, loss: Tensor, y: Any, y_pred: Any, sw: Any) -> None:
        batch = int(tree.flatten(y_pred)[0].shape[0])
        with unidl.no_grad():
            self._loss_tracker.update_state(loss.detach(), sample_weight=batch)
        if self._compile_metrics is not None and y is not None:
            self._compile_metrics.update_state(y, y_pred, sw)

    def _logs(self) -> Dict[str, float]:
        return {m.name: _to_value(m.result()) for m in sorted(self.metrics, key=lambda m: m.name)}

    def _ordered_results(self) -> List[float]:
        return [_to_value(m.result()) for m in self.metrics]

    # -- data --------------------------------------------------------------------------------------------
    def _make_batches(self, x: Any, y: Any, sample_weight: Any, class_weight: Any, batch_size: Optional[int],
                      steps: Optional[int], shuffle: Any) -> Any:
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("You cannot use `class_weight` and `sample_weight` at the same time.")
            if y is None:
                raise ValueError("`class_weight` needs targets `y` given as arrays.")
            sample_weight = data_adapter.class_weight_to_sample_weight(y, class_weight)
        return data_adapter.make_batches(x, y, sample_weight, batch_size=batch_size, steps=steps, shuffle=shuffle)

    def _ensure_built(self, x: Any) -> None:
        if not self.built:
            with unidl.no_grad():
                self(x, training=False)

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
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, verbose=verbose, epochs=epochs,
            steps=len(batches) if len(batches) is not None else None, model=self)
        self.stop_training = False
        cbs.on_train_begin()
        batch_begin, batch_end = _batch_hooks(cbs, "train")
        epoch_logs: Dict[str, float] = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            step = -1
            for step, data in enumerate(batches.epoch()):
                if step == 0:
                    self._ensure_built(data[0])
                    if not getattr(self.optimizer, "built", True):
                        self.optimizer.build(self.trainable_variables)
                batch_begin(step)
                self.train_step(data)
                batch_end(step, self._logs)
                if self.stop_training:
                    break
            if step < 0:
                raise ValueError("Unexpected result of `train_function` (Empty logs). This could be due to issues in "
                                 "input pipeline that resulted in an empty dataset. Otherwise, please check the number "
                                 "of samples and `batch_size`.")
            epoch_logs = self._logs()  # the metrics' results now, as Keras 3 reads them at the epoch's end
            if val is not None and (epoch + 1) % max(1, int(validation_freq)) == 0:
                val_logs = self._evaluate_batches(val, None)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cbs.on_train_end(epoch_logs)
        return self.history

    # -- evaluate -----------------------------------------------------------------------------------------
    def _evaluate_batches(self, batches: Any, cbs: Any) -> Dict[str, float]:
        self.reset_metrics()
        if cbs is not None:
            cbs.on_test_begin()
        batch_begin, batch_end = _batch_hooks(cbs, "test")
        step = -1
        for step, data in enumerate(batches.epoch()):
            if step == 0:
                self._ensure_built(data[0])
            batch_begin(step)
            self.test_step(data)
            batch_end(step, self._logs)
        logs: Dict[str, float] = self._logs() if step >= 0 else {}
        if cbs is not None:
            cbs.on_test_end(logs)
        return logs

    def evaluate(self, x: Any = None, y: Any = None, batch_size: Optional[int] = None, verbose: Any = "auto",
                 sample_weight: Any = None, steps: Optional[int] = None, callbacks: Any = None,
                 return_dict: bool = False, **kwargs: Any) -> Any:
        """Loss and metrics on ``x``/``y``: a scalar (loss only), a list ``[loss, *metrics]`` or a dict."""
        from ..callbacks import CallbackList

        self._assert_compiled()
        batches = self._make_batches(x, y, sample_weight, None, batch_size, steps, False)
        verbose = _verbose(verbose)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, verbose=verbose, epochs=1, steps=len(batches), model=self)
        logs = self._evaluate_batches(batches, cbs)
        if return_dict:
            return logs
        vals = self._ordered_results()
        return vals[0] if len(vals) == 1 else vals

    # -- predict ------------------------------------------------------------------------------------------
    def predict(self, x: Any, batch_size: Optional[int] = None, verbose: Any = "auto", steps: Optional[int] = None,
                callbacks: Any = None) -> Any:
        """Outputs for ``x`` as NumPy arrays (batches concatenated; the model's output structure)."""
        from ..callbacks import CallbackList

        batches = data_adapter.make_batches(x, None, None, batch_size=batch_size, steps=steps, shuffle=False)
        verbose = _verbose(verbose)
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, verbose=verbose, epochs=1, steps=len(batches), model=self)
        cbs.on_predict_begin()
        outs: List[Any] = []
        for step, data in enumerate(batches.epoch()):
            cbs.on_predict_batch_begin(step)
            with unidl.no_grad():
                y = self(data[0], training=False)
            y = tree.map_structure(lambda t: t.numpy() if isinstance(t, Tensor) else np.asarray(t), y)
            outs.append(y)
            cbs.on_predict_batch_end(step, {"outputs": y})
        cbs.on_predict_end()
        if not outs:
            raise ValueError("Unexpected result of `predict_function` (Empty batch_outputs). Please use "
                             "`Model.compile(..., run_eagerly=True)`, or `tf.config.run_functions_eagerly(True)` "
                             "for more information of where went wrong, or file a issue/bug to `keras`.")
        flat = [tree.flatten(o) for o in outs]
        cat = [np.concatenate([f[i] for f in flat], axis=0) for i in range(len(flat[0]))]
        return tree.pack_sequence_as(outs[0], cat)

    # -- on batch -----------------------------------------------------------------------------------------
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       return_dict: bool = False) -> Any:
        """One optimizer step on one batch; returns that batch's loss (and metrics)."""
        self._assert_compiled()
        if class_weight is not None:
            sample_weight = data_adapter.class_weight_to_sample_weight(y, class_weight)
        data = next(iter(data_adapter.ArrayBatches(x, y, sample_weight, batch_size=_n(x)).epoch()))
        self._ensure_built(data[0])
        if not getattr(self.optimizer, "built", True):
            self.optimizer.build(self.trainable_variables)
        self.reset_metrics()
        self.train_step(data)
        return self._batch_result(return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        self._assert_compiled()
        data = next(iter(data_adapter.ArrayBatches(x, y, sample_weight, batch_size=_n(x)).epoch()))
        self._ensure_built(data[0])
        self.reset_metrics()
        self.test_step(data)
        return self._batch_result(return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        with unidl.no_grad():
            y = self(tree.map_structure(data_adapter._as_array, x), training=False)
        return tree.map_structure(lambda t: t.numpy() if isinstance(t, Tensor) else np.asarray(t), y)

    def _batch_result(self, return_dict: bool) -> Any:
        if return_dict:
            return self._logs()
        vals = self._ordered_results()
        return vals[0] if len(vals) == 1 else vals


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
