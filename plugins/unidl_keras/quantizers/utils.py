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
