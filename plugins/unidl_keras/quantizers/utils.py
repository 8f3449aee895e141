"""Which layers ``Model.quantize(..., filters=...)`` quantizes."""
from __future__ import annotations

import re
from typing import Any


def should_quantize_layer(layer: Any, filters: Any) -> bool:
    """True when ``filters`` is None, a regex (or list of regexes) found in ``layer.name``, or a callable
    returning True for ``layer``."""
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(pat, layer.name) for pat in filters)
    if callable(filters):
        return filters(layer)
    return True


def quantize_model(model: Any, mode: Any = None, config: Any = None, filters: Any = None, **kwargs: Any) -> None:
    """``Model.quantize``: ``layer.quantize(mode, config=...)`` on every leaf layer that ``filters`` selects;
    layers that cannot be quantized are skipped (a NotImplementedError becomes a warning, as in Keras).

    GPTQ / AWQ calibration over a dataset is not provided: those modes raise NotImplementedError after the
    layers got their variables."""
    import warnings
    from collections.abc import Callable

    type_check = kwargs.pop("type_check", True)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments passed to {type(model).__name__}: {kwargs}")
    if filters is not None and not isinstance(filters, (str, Callable, list, tuple)):
        raise ValueError("The `filters` argument must be a regex string, a list of regex strings, or a callable. "
                         f"Received: {type(filters)}")
    for layer in model._flatten_layers():
        if not should_quantize_layer(layer, filters):
            continue
        if len(list(layer._flatten_layers())) == 1:
            try:
                layer.quantize(mode, type_check=type_check, config=config)
            except NotImplementedError as e:
                warnings.warn(str(e))
            except AttributeError:
                pass
    if mode in ("gptq", "awq"):
        raise NotImplementedError(f"Model.quantize('{mode}'): the {mode.upper()} calibration pass over a dataset is "
                                  "not provided by unidl's Keras face; the layers were given their quantized "
                                  "variables but not calibrated.")
