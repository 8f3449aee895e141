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
    if isinstance(spec, (list, tuple)) and n == 1 and len(spec) == 1 and what in ("loss", "loss_weights"):
        return [spec[0]]  # one output's loss as a one-entry list (loss=['mse']), as Keras allows
    if isinstance(spec, (list, tuple)) and n > 1:
        if len(spec) != n:
            raise ValueError(f"`{what}` should have one entry per model output ({n}: {list(output_names)}); "
                             f"received {len(spec)}: {spec}")
        return list(spec)
    return [spec] * n if what != "loss" or n == 1 else [spec] * n


def _as_loss(losses_mod: Any, spec: Any, y_true: Any = None, y_pred: Any = None) -> Any:
    """A reducing Loss object for ``spec``; plain functions are wrapped as Keras's compile does, and
    ``"crossentropy"``/``"ce"`` pick binary, sparse or categorical crossentropy from the shapes (Keras's
    ``get_loss``)."""
    if isinstance(spec, str) and spec.lower() in ("crossentropy", "ce") and y_pred is not None:
        binary, sparse = _binary_or_sparse(y_true, y_pred)
        fn = (losses_mod.binary_crossentropy if binary else losses_mod.sparse_categorical_crossentropy if sparse
              else losses_mod.categorical_crossentropy)
    else:
        fn = losses_mod.get(spec)
    if isinstance(fn, losses_mod.Loss):
        return fn
    name = spec if isinstance(spec, str) else getattr(fn, "__name__", "loss")
    return losses_mod.LossFunctionWrapper(fn, name=name)


def _binary_or_sparse(y_true: Any, y_pred: Any) -> Tuple[bool, bool]:
    yt = tuple(getattr(y_true, "shape", ()) or ())
    yp = tuple(getattr(y_pred, "shape", ()) or ())
    binary = bool(yp) and yp[-1] == 1
    sparse = len(yt) < len(yp) or (bool(yt) and bool(yp) and yt[-1] == 1 and yp[-1] > 1)
    return binary, sparse


# -- nested structures (dicts sorted by key, lists, tuples, namedtuples), as Keras's tree sees them --------

def _nested(x: Any) -> bool:
    return isinstance(x, (list, tuple, dict))


def _flat(x: Any) -> List[Any]:
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in _flat(x[k])]
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _flat(item)]
    return [x]


def _pack(struct: Any, flat: List[Any]) -> Any:
    it = iter(flat)

    def build(s: Any) -> Any:
        if isinstance(s, dict):
            vals = {k: build(s[k]) for k in sorted(s)}
            return type(s)((k, vals[k]) for k in s) if type(s) is not dict else {k: vals[k] for k in s}
        if isinstance(s, (list, tuple)):
            items = [build(v) for v in s]
            if hasattr(s, "_fields"):
                return type(s)(*items)
            return type(s)(items)
        return next(it)

    n = len(_flat(struct))
    if n != len(flat):
        raise ValueError(f"Could not pack sequence: the structure has {n} leaves but {len(flat)} values were given.")
    return build(struct)


def _same_structure(a: Any, b: Any) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b) and all(
            _same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and type(a) is type(b)
                and len(a) == len(b) and all(_same_structure(x, y) for x, y in zip(a, b)))
    return True


def _resolve(path: Tuple[Any, ...], obj: Any) -> Any:
    for key in path:
        obj = obj[key]
    return obj


class _Weighted:
    """A leaf of the packed loss structure: one loss spec and its weight (``None`` spec: no leaf)."""

    __slots__ = ("loss", "weight")

    def __init__(self, loss: Any, weight: Any) -> None:
        self.loss, self.weight = loss, weight


class CompileLoss:
    """The compiled loss, Keras 3's ``CompileLoss``: the user's ``loss`` / ``loss_weights`` (a single loss, a
    list per output, a dict by output name, or any structure matching the model's outputs) are resolved
    against the first batch's ``y_true`` / ``y_pred`` into flat ``(path, loss, weight, name)`` entries; the
    value is ``sum_i w_i * loss_i(y[path_i], y_pred[path_i], sample_weight)``. With more than one entry,
    each gets a ``Mean`` tracker ``<name>_loss``. Structure errors are raised at that first call, as Keras."""

    def __init__(self, loss: Any, loss_weights: Any, output_names: Sequence[str]) -> None:
        if loss_weights and not isinstance(loss_weights, (list, tuple, dict, float, int)):
            raise ValueError("Expected `loss_weights` argument to be a float (single output case) or a list, tuple, "
                             "or dict (multiple output case). Received instead: "
                             f"loss_weights={loss_weights} of type {type(loss_weights)}")
        from .. import losses as losses_mod

        for leaf in _flat(loss):  # a misspelt loss name fails at compile (Keras finds out at the first batch)
            if isinstance(leaf, str) and leaf.lower() not in ("crossentropy", "ce"):
                losses_mod.get(leaf)
        self.output_names = list(output_names)
        self._user_loss = loss
        self._user_loss_weights = loss_weights
        self.built = False
        self._flat_losses: List[Tuple[Tuple[Any, ...], Any, Any, str]] = []
        self.trackers: List[Any] = []
        self._y_pred_struct: Any = None
        self._y_true_struct: Any = None

    # -- build -------------------------------------------------------------------------------------------
    def build(self, y_true: Any, y_pred: Any) -> None:
        """Resolve the loss specs against the structures of ``y_true`` / ``y_pred`` (Keras's algorithm)."""
        from .. import metrics as metrics_mod

        loss, weights = self._user_loss, self._user_loss_weights
        names = self.output_names
        if names and isinstance(loss, dict) and not isinstance(y_pred, dict):
            if set(names) == set(loss):
                loss = [loss[n] for n in names]
                if isinstance(weights, dict):
                    weights = [weights[n] for n in names]
            else:
                raise ValueError(f"Expected keys {names} in loss dict, but found loss.keys()={list(loss.keys())}")
        if weights is not None:
            if not _same_structure(loss, weights) or not _nested(loss):
                flat_w = _flat(weights)
                if len(_flat(loss)) != len(flat_w):
                    raise ValueError(f"`loss_weights` must match the number of losses, got {len(_flat(loss))} losses "
                                     f"and {len(weights) if _nested(weights) else 1} weights.")
                weights = _pack(loss, flat_w) if _nested(loss) else flat_w[0]
            packed = _map2(lambda l, w: None if l is None else _Weighted(l, w), loss, weights)
        else:
            packed = _map1(lambda l: None if l is None else _Weighted(l, None), loss)
        if (isinstance(packed, dict) and isinstance(y_pred, (list, tuple)) and set(packed) == set(names)
                and len(y_pred) == len(names)):
            y_pred = dict(zip(names, y_pred))
            y_true = dict(zip(names, y_true))
        elif isinstance(packed, dict) and not _nested(y_pred) and set(packed) == set(names) and len(names) == 1:
            y_pred, y_true = {names[0]: y_pred}, {names[0]: y_true}
        flat_pred = _flat(y_pred)
        out_names = names if len(names) == len(flat_pred) else [None] * len(flat_pred)
        try:
            output_names = _pack(y_pred, list(out_names)) if _nested(y_pred) else out_names[0]
        except ValueError:
            output_names = _pack(y_pred, [None] * len(flat_pred)) if _nested(y_pred) else None
        if not _nested(packed):
            packed = _map1(lambda _: packed, y_pred)
        self._flat_losses = []
        self._build_nested(y_true, y_pred, packed, output_names, ())
        self.trackers = ([metrics_mod.Mean(name=f"{entry[3]}_loss") for entry in self._flat_losses]
                         if len(self._flat_losses) > 1 else [])
        self._y_pred_struct = _map1(lambda _: None, y_pred)
        self._y_true_struct = _map1(lambda _: None, y_true)
        self.built = True

    def _build_nested(self, y_true: Any, y_pred: Any, loss: Any, output_names: Any, path: Tuple[Any, ...]) -> None:
        from .. import losses as losses_mod

        flat_pred = _flat(y_pred)
        if not _nested(loss):
            if loss is None or loss.loss is None:
                return
            resolved = _as_loss(losses_mod, loss.loss, y_true, y_pred)
            name_path = path
            if not _nested(output_names):
                output_name = output_names if output_names is not None else getattr(resolved, "name", "loss")
                if not name_path:
                    name_path = (output_name,)
                elif isinstance(name_path[-1], int):
                    name_path = name_path[:-1] + (output_name,)
            name = "/".join(str(p) for p in name_path)
            if name == "":
                name = "_".join(str(n) for n in (list(output_names) if isinstance(output_names, dict)
                                                 else _flat(output_names)))
            self._flat_losses.append((path, resolved, loss.weight, name))
            return
        if isinstance(loss, (list, tuple)) and all(not _nested(x) for x in loss) and len(loss) == len(flat_pred):
            loss = _pack(y_pred, list(loss)) if _nested(y_pred) else loss[0]
        elif isinstance(loss, (list, tuple)) and not isinstance(y_pred, type(loss)):
            for item in loss:
                self._build_nested(y_true, y_pred, item, output_names, path)
            return
        if not _nested(loss):
            return self._build_nested(y_true, y_pred, loss, output_names, path)
        if not isinstance(loss, type(y_pred)):
            raise KeyError(f"The path: {path} in the `loss` argument, can't be found in the model's output (`y_pred`).")
        if isinstance(loss, dict):
            items = list(loss.items())

            def has(key: Any, objs: Any) -> bool:
                return all(isinstance(o, dict) and key in o for o in objs)
        else:
            items = list(enumerate(loss))

            def has(key: Any, objs: Any) -> bool:
                return all(isinstance(o, (list, tuple)) and key < len(o) for o in objs)
        for key, item in items:
            if item is None:
                continue
            if not has(key, (y_true, y_pred)):
                raise KeyError(f"The path: {path + (key,)} in the `loss` argument, can't be found in either the "
                               "model's output (`y_pred`) or in the labels (`y_true`).")
            self._build_nested(y_true[key], y_pred[key], item,
                               output_names[key] if _nested(output_names) else output_names, path + (key,))

    # -- call --------------------------------------------------------------------------------------------
    def _align_true(self, y_true: Any, y_pred: Any) -> Any:
        """``y_true`` in the structure of ``y_pred`` where the two differ but can be reconciled (Keras's rules)."""
        if _same_structure(y_pred, y_true):
            return y_true
        if not _nested(y_true) and hasattr(y_pred, "__len__") and len(y_pred) == 1:
            y_true = [y_true]
        elif isinstance(y_pred, (list, tuple)) and isinstance(y_true, dict) and set(self.output_names) == set(y_true):
            y_true = [y_true[n] for n in self.output_names]
        flat_true = _flat(y_true)
        if len(flat_true) == len(_flat(y_pred)):
            return _pack(y_pred, flat_true)
        flat_loss = _flat(self._user_loss)
        given = [i for i, l in enumerate(flat_loss) if l is not None]
        if len(flat_true) == len(given) and _nested(self._user_loss):
            full: List[Any] = [None] * len(flat_loss)
            for yt, i in zip(flat_true, given):
                full[i] = yt
            return _pack(self._user_loss, full)
        raise ValueError(f"y_true and y_pred have different structures.\ny_true: {_map1(lambda _: '*', y_true)}\n"
                         f"y_pred: {_map1(lambda _: '*', y_pred)}\n")

    def build_from_data(self, y_true: Any, y_pred: Any) -> None:
        """Build from a batch's targets and the model's outputs (tensors or KerasTensors), as the first call
        would, without computing anything."""
        if not self.built:
            if _nested(y_true) or _nested(y_pred):
                y_true = self._align_true(y_true, y_pred)
            self.build(y_true, y_pred)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Optional[Tensor]:
        simple = not _nested(y_true) and not _nested(y_pred)
        if not simple:
            if isinstance(y_pred, dict) and isinstance(y_true, (list, tuple)) and not self.built:
                pass
            y_true = self._align_true(y_true, y_pred)
        if not self.built:
            self.build(y_true, y_pred)
        if not simple:
            if not _same_structure(self._y_pred_struct, y_pred):
                y_pred = _pack(self._y_pred_struct, _flat(y_pred))
            if not _same_structure(self._y_true_struct, y_true):
                y_true = _pack(self._y_true_struct, _flat(y_true))
        total = None
        trackers = self.trackers
        for k, (path, fn, weight, name) in enumerate(self._flat_losses):
            yt, yp = _resolve(path, y_true), _resolve(path, y_pred)
            if yt is None:
                raise ValueError(f"No target (`y`) given for output '{name}', which has a loss.")
            sw = _resolve(path, sample_weight) if sample_weight is not None and _nested(sample_weight) \
                else sample_weight
            if _nested(yt) or _nested(yp):  # a loss over a structure of outputs gets the structures
                yt = _map1(_target, yt)
            else:
                yt = _target(yt)
                _check_pair(fn, yt, yp, name)
            value = fn(yt, yp) if sw is None else fn(yt, yp, sample_weight=convert_to_tensor(sw))
            if trackers:
                with unidl.no_grad():
                    trackers[k].update_state(value.detach(), sample_weight=_batch(_flat(yp)[0]))
            if weight is not None:
                value = ops.multiply(value, float(weight))
            total = value if total is None else ops.add(total, value)
        return total

    @property
    def losses(self) -> List[Any]:
        """One resolved loss (or None) per model output, in ``output_names`` order (after the first call)."""
        by_name = {entry[3]: entry[1] for entry in self._flat_losses}
        return [by_name.get(n) for n in self.output_names]

    @property
    def metrics(self) -> List[Any]:
        return list(self.trackers)

    @property
    def variables(self) -> List[Any]:
        """The state of the per-entry loss trackers."""
        return [v for m in self.trackers for v in m.variables]


def _map1(fn: Any, x: Any) -> Any:
    if isinstance(x, dict):
        return type(x)((k, _map1(fn, v)) for k, v in x.items()) if type(x) is not dict else {
            k: _map1(fn, v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        items = [_map1(fn, v) for v in x]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    return fn(x)


def _map2(fn: Any, a: Any, b: Any) -> Any:
    if isinstance(a, dict):
        return {k: _map2(fn, v, b[k]) for k, v in a.items()}
    if isinstance(a, (list, tuple)):
        items = [_map2(fn, x, y) for x, y in zip(a, b)]
        return type(a)(*items) if hasattr(a, "_fields") else type(a)(items)
    return fn(a, b)


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
        if type(data) in (list, tuple) and len(data) == 1:
            return [data[0]]
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
        self._user_metrics = (metrics, weighted_metrics)
        self._spec_error: Optional[ValueError] = None
        self.specs = self._specs_or_defer(metrics, "metrics")
        self.wspecs = self._specs_or_defer(weighted_metrics, "weighted_metrics")
        self.losses = losses
        self.multi = len(self.output_names) > 1
        self._per_output: Optional[List[List[Any]]] = None
        self._weighted: Optional[List[List[Any]]] = None

    @property
    def built(self) -> bool:
        return self._per_output is not None

    def _specs_or_defer(self, metrics: Any, what: str) -> List[List[Any]]:
        """The per-output specs; a dict naming unknown outputs is reported at the first batch, as Keras."""
        try:
            return self._specs(metrics, what)
        except ValueError as e:
            if not isinstance(metrics, dict) or self._spec_error is not None:
                raise
            self._spec_error = ValueError(
                f"{e}\nInvalid `{what}`. `{what}` should contain metrics objects and either be a dict or a list "
                f"matching the output names of the functional model {self.output_names} or match the output "
                f"structure of the model.\nReceived: {what}={metrics}")
            return [[] for _ in self.output_names]

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
            if len(metrics) == 1 and isinstance(metrics[0], (list, tuple)):  # [['mae']]: one output's list
                return [list(metrics[0])]
            return [list(metrics)]
        if len(metrics) == n:  # one entry per output: a metric, a list of metrics, or None
            return [[] if m is None else (list(m) if isinstance(m, (list, tuple)) else [m]) for m in metrics]
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
        if self._spec_error is not None:
            raise self._spec_error
        losses = self.losses.losses if isinstance(self.losses, CompileLoss) else self.losses
        if len(losses) != len(self.specs):
            losses = [None] * len(self.specs)
        self._per_output = [[self._resolve(s, yt, yp, lf) for s in specs] if yt is not None else []
                            for specs, yt, yp, lf in zip(self.specs, ys, ps, losses)]
        self._weighted = [[self._resolve(s, yt, yp, lf) for s in specs] if yt is not None else []
                          for specs, yt, yp, lf in zip(self.wspecs, ys, ps, losses)]

    def _adopt_output_names(self, y_pred: Any) -> None:
        """Before the first batch: a flat dict of predictions names the outputs (the model's order when the
        keys are its output names, else sorted keys), as Keras's CompileMetrics.build does."""
        if self._per_output is not None or not isinstance(y_pred, dict) or not y_pred \
                or any(isinstance(v, (dict, list, tuple)) for v in y_pred.values()):
            return
        keys = list(y_pred)
        names = self.output_names if set(keys) == set(self.output_names) else sorted(keys)
        if names != self.output_names:
            self.output_names = names
            self.multi = len(names) > 1
            self._spec_error = None
            self.specs = self._specs_or_defer(self._user_metrics[0], "metrics")
            self.wspecs = self._specs_or_defer(self._user_metrics[1], "weighted_metrics")

    def _flat_pred(self, y_pred: Any) -> List[Any]:
        if isinstance(y_pred, dict) and all(n in y_pred for n in self.output_names):
            return [y_pred[n] for n in self.output_names]
        return tree.flatten(y_pred)

    def build_from_data(self, y_true: Any, y_pred: Any) -> None:
        self._adopt_output_names(y_pred)
        ys = [None if y is None else (y if hasattr(y, "ndim") else _target(y))
              for y in _flat_outputs(y_true, self.output_names, "y")]
        self.build(ys, self._flat_pred(y_pred))

    @property
    def has_metrics(self) -> bool:
        return any(self.specs) or any(self.wspecs) or self._spec_error is not None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if self._per_output is None:
            self._adopt_output_names(y_pred)
        if self._spec_error is not None:
            raise self._spec_error
        if not any(self.specs) and not any(self.wspecs):  # nothing compiled: no per-batch work
            return
        ys = [None if y is None else _target(y) for y in _flat_outputs(y_true, self.output_names, "y")]
        ps = self._flat_pred(y_pred)
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
