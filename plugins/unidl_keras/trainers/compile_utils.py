"""What ``compile`` resolves: losses per output (with weights) and metrics per output, named as
Keras 3 logs them (``loss``, ``<output>_loss``, ``accuracy``, ``<output>_<metric>``)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl import ops
from unidl.tensor import Tensor

from ..backend.common import convert_to_tensor
from ..metrics.metric import Metric
from ..utils import tree


def _by_output(spec: Any, output_names: Sequence[str], what: str) -> List[Any]:
    """``spec`` (one item, a list aligned with outputs, or a dict by output name) -> one entry per output."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(f"In the dict argument `{what}`, key(s) {unknown} do not correspond to any model output. "
                             f"Received: {what}={spec}; model outputs: {list(output_names)}")
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and n > 1:
        if len(spec) != n:
            raise ValueError(f"`{what}` should have one entry per model output ({n}: {list(output_names)}); "
                             f"received {len(spec)}: {spec}")
        return list(spec)
    return [spec] * n if what != "loss" or n == 1 else [spec] * n


def _as_loss(losses_mod: Any, spec: Any) -> Any:
    """A reducing Loss object for ``spec``; plain functions are wrapped as Keras's compile does."""
    fn = losses_mod.get(spec)
    if isinstance(fn, losses_mod.Loss):
        return fn
    name = spec if isinstance(spec, str) else getattr(fn, "__name__", "loss")
    return losses_mod.LossFunctionWrapper(fn, name=name)


class CompileLoss:
    """The compiled loss: ``sum_i w_i * loss_i(y_i, y_pred_i, sw_i)`` plus per-output trackers."""

    def __init__(self, loss: Any, loss_weights: Any, output_names: Sequence[str]) -> None:
        from .. import losses as losses_mod

        self.output_names = list(output_names)
        specs = _by_output(loss, self.output_names, "loss")
        self.losses = [None if s is None else _as_loss(losses_mod, s) for s in specs]
        if all(fn is None for fn in self.losses):
            raise ValueError("The model has no loss: pass `loss=` to compile().")
        if loss_weights is None:
            self.weights = [1.0] * len(self.losses)
        else:
            self.weights = [1.0 if w is None else float(w) for w in _by_output(loss_weights, self.output_names,
                                                                              "loss_weights")]
        self.multi = len(self.output_names) > 1
        from .. import metrics as metrics_mod

        self.trackers = [metrics_mod.Mean(name=f"{nm}_loss") if self.multi and fn is not None else None
                         for nm, fn in zip(self.output_names, self.losses)]

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        ys = _flat_outputs(y_true, self.output_names, "y")
        ps = tree.flatten(y_pred)
        sws = _flat_outputs(sample_weight, self.output_names, "sample_weight") if sample_weight is not None \
            else [None] * len(ps)
        if len(ys) != len(ps):
            raise ValueError(f"The model has {len(ps)} output(s) {self.output_names} but the targets `y` have "
                             f"{len(ys)} entries.")
        total = None
        for i, (fn, w, yt, yp, sw) in enumerate(zip(self.losses, self.weights, ys, ps, sws)):
            if fn is None:
                continue
            if yt is None:
                raise ValueError(f"No target (`y`) given for output '{self.output_names[i]}', which has a loss.")
            yt = _target(yt)
            _check_pair(fn, yt, yp, self.output_names[i])
            value = fn(yt, yp, sample_weight=None if sw is None else convert_to_tensor(sw)) if sw is not None \
                else fn(yt, yp)
            if self.trackers[i] is not None:
                with unidl.no_grad():
                    self.trackers[i].update_state(value.detach(), sample_weight=_batch(yp))
            term = value if w == 1.0 else ops.multiply(value, w)
            total = term if total is None else ops.add(total, term)
        return total

    @property
    def metrics(self) -> List[Any]:
        return [t for t in self.trackers if t is not None]


def _batch(x: Any) -> int:
    return int(x.shape[0]) if getattr(x, "ndim", 0) else 1


def _target(y: Any) -> Tensor:
    if isinstance(y, Tensor):
        return y
    a = np.asarray(y)
    return convert_to_tensor(a)


def _flat_outputs(data: Any, names: Sequence[str], what: str) -> List[Any]:
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing and len(names) > 1:
            raise ValueError(f"`{what}` is a dict without key(s) {missing} for model output(s); "
                             f"expected keys {list(names)}")
        return [data.get(n) for n in names] if len(names) > 1 or names[0] in data else list(data.values())
    if len(names) == 1:
        return [data]
    if not isinstance(data, (list, tuple)):
        raise ValueError(f"The model has {len(names)} outputs {list(names)}; `{what}` must be a list or dict with "
                         f"one entry per output, got {type(data).__name__}")
    return list(data)


def _check_pair(fn: Any, yt: Tensor, yp: Tensor, output: str) -> None:
    """Catch label/prediction shape mismatches before the loss turns them into garbage."""
    name = getattr(fn, "name", getattr(fn, "__name__", "loss"))
    sparse = "sparse" in str(name)
    if sparse:
        ok = yt.ndim in (yp.ndim, yp.ndim - 1) and (yt.ndim == yp.ndim - 1 or yt.shape[-1] == 1)
        ok = ok and tuple(yt.shape[:1]) == tuple(yp.shape[:1])
    else:
        ok = yt.ndim == 0 or tuple(yt.shape[:1]) == tuple(yp.shape[:1])
        if ok and yt.ndim == yp.ndim:
            ok = all(a == b or a == 1 or b == 1 for a, b in zip(yt.shape, yp.shape))
    if not ok:
        raise ValueError(f"Arguments `target` and `output` must have compatible shapes for loss '{name}' on output "
                         f"'{output}'. Received: target.shape={tuple(yt.shape)}, output.shape={tuple(yp.shape)}")


class CompileMetrics(Metric):
    """The metrics passed to ``compile``, as one Metric named ``compile_metrics`` (Keras 3's object in
    ``model.metrics``): ``result()`` is a dict keyed as Keras logs them (``<output>_<name>`` for a model
    with several outputs, a repeated name suffixed ``_1``, ``_2``..., a weighted metric whose name is
    taken renamed ``weighted_<name>``). ``'accuracy'``/``'acc'`` (and crossentropy names) are resolved
    from the shapes of the first batch, as Keras does."""

    def __init__(self, metrics: Any, weighted_metrics: Any, output_names: Sequence[str], losses: List[Any]) -> None:
        super().__init__(name="compile_metrics")
        self.output_names = list(output_names)
        self.specs = self._specs(metrics, "metrics")
        self.wspecs = self._specs(weighted_metrics, "weighted_metrics")
        self.losses = losses
        self.multi = len(self.output_names) > 1
        self._per_output: Optional[List[List[Any]]] = None
        self._weighted: Optional[List[List[Any]]] = None

    @property
    def built(self) -> bool:
        return self._per_output is not None

    def _specs(self, metrics: Any, what: str) -> List[List[Any]]:
        n = len(self.output_names)
        if metrics is None:
            return [[] for _ in range(n)]
        if isinstance(metrics, dict):
            per = _by_output(metrics, self.output_names, what)
            return [[] if m is None else (list(m) if isinstance(m, (list, tuple)) else [m]) for m in per]
        if not isinstance(metrics, (list, tuple)):
            raise ValueError(f"Expected `{what}` argument to be a list, tuple, or dict. Received instead: "
                             f"{what}={metrics} of type {type(metrics).__name__}")
        if n == 1:
            return [list(metrics)]
        if all(isinstance(m, (list, tuple)) or m is None for m in metrics) and len(metrics) == n:
            return [[] if m is None else list(m) for m in metrics]
        raise ValueError(f"For a model with multiple outputs, when providing the `{what}` argument as a list, it "
                         f"should have as many entries as the model has outputs ({n}: {self.output_names}), each a "
                         f"list of metrics. Received: {what}={metrics}")

    def _resolve(self, spec: Any, yt: Any, yp: Any, loss: Any) -> Any:
        from .. import metrics as m

        if isinstance(spec, str) and spec in ("accuracy", "acc", "crossentropy", "ce"):
            binary = tuple(yp.shape[-1:]) == (1,) if yp.ndim else True
            lname = str(getattr(loss, "name", getattr(loss, "__name__", "")))
            sparse = "sparse" in lname or yt.ndim < yp.ndim or (yt.ndim and yt.shape[-1] == 1 and yp.shape[-1] > 1)
            if "binary" in lname:
                binary = True
            if spec in ("accuracy", "acc"):
                cls = m.BinaryAccuracy if binary else m.SparseCategoricalAccuracy if sparse else m.CategoricalAccuracy
            else:
                cls = m.BinaryCrossentropy if binary else (m.SparseCategoricalCrossentropy if sparse
                                                           else m.CategoricalCrossentropy)
            metric = cls(name=spec)
        else:
            metric = m.get(spec)
            if not hasattr(metric, "update_state"):  # a plain function: wrap it
                metric = m.MeanMetricWrapper(metric, name=getattr(spec, "__name__", str(spec)))
            if isinstance(spec, str):
                metric.name = spec  # Keras logs the name it was given ('mae', not 'mean_absolute_error')
        return metric

    def build(self, ys: List[Any], ps: List[Any]) -> None:
        """Resolve the metric specs for targets ``ys`` and predictions ``ps`` (one per output; anything
        with ``shape``/``ndim``: arrays, Tensors or KerasTensors)."""
        self._per_output = [[self._resolve(s, yt, yp, lf) for s in specs] if yt is not None else []
                            for specs, yt, yp, lf in zip(self.specs, ys, ps, self.losses)]
        self._weighted = [[self._resolve(s, yt, yp, lf) for s in specs] if yt is not None else []
                          for specs, yt, yp, lf in zip(self.wspecs, ys, ps, self.losses)]

    def build_from_data(self, y_true: Any, y_pred: Any) -> None:
        ys = [None if y is None else (y if hasattr(y, "ndim") else _target(y))
              for y in _flat_outputs(y_true, self.output_names, "y")]
        self.build(ys, tree.flatten(y_pred))

    @property
    def has_metrics(self) -> bool:
        return any(self.specs) or any(self.wspecs)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if not any(self.specs) and not any(self.wspecs):  # nothing compiled: no per-batch work
            return
        ys = [None if y is None else _target(y) for y in _flat_outputs(y_true, self.output_names, "y")]
        ps = tree.flatten(y_pred)
        sws = _flat_outputs(sample_weight, self.output_names, "sample_weight") if sample_weight is not None \
            else [None] * len(ps)
        if self._per_output is None:
            self.build(ys, ps)
        with unidl.no_grad():
            for ms, ws, yt, yp, sw in zip(self._per_output, self._weighted, ys, ps, sws):
                if yt is None:
                    continue
                yp = yp.detach()
                for metric in ms:
                    metric.update_state(yt, yp)
                for metric in ws:
                    metric.update_state(yt, yp, sample_weight=None if sw is None else convert_to_tensor(sw))

    def _named(self) -> List[Tuple[str, Any]]:
        """(log key, metric) pairs in Keras's order and naming (see the class docstring)."""
        out: List[Tuple[str, Any]] = []
        if self._per_output is None:
            return out
        counts: Dict[str, int] = {}
        for out_name, ms in zip(self.output_names, self._per_output):
            for m in ms:
                name = f"{out_name}_{m.name}" if self.multi else m.name
                if name in counts:
                    counts[name] += 1
                    name = f"{name}_{counts[name] - 1}"
                else:
                    counts[name] = 1
                out.append((name, m))
        for out_name, ws in zip(self.output_names, self._weighted):
            for m in ws:
                name = f"{out_name}_{m.name}" if self.multi else m.name
                if name in counts:
                    name = f"{out_name}_weighted_{m.name}" if self.multi else f"weighted_{m.name}"
                    if name in counts:
                        counts[name] += 1
                        name = f"{name}_{counts[name] - 1}"
                    else:
                        counts[name] = 1
                else:
                    counts[name] = 1
                out.append((name, m))
        return out

    def result(self) -> Dict[str, Any]:
        """``{log key: value}`` of every compiled metric (empty before the first batch)."""
        return {name: m.result() for name, m in self._named()}

    @property
    def metrics(self) -> List[Any]:
        """The compiled metric objects: the unweighted ones of every output, then the weighted ones."""
        if self._per_output is None:
            return []
        return [m for ms in self._per_output for m in ms] + [m for ws in self._weighted for m in ws]

    @property
    def variables(self) -> List[Any]:
        return [v for m in self.metrics for v in m.variables]

    def reset_state(self) -> None:
        for metric in self.metrics:
            metric.reset_state()
