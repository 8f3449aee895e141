"""Shared by the model-zoo constructors: loading pretrained parameters from the model store."""
from __future__ import annotations

from typing import Any, Optional

from ..model_store import get_model_file


def load_pretrained(net: Any, name: str, root: Optional[str], ctx: Any) -> Any:
    """``net.load_parameters`` of model ``name``'s file in ``root`` (strict names); returns ``net``."""
    net.load_parameters(get_model_file(name, root=root), ctx=ctx)
    return net
