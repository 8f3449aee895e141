"""``model.summary()``: Keras 3's summary table, as printed when stdout is not a terminal.

Keras draws the table with ``rich``; this module reproduces the same characters with plain string
formatting (no colours, no ``rich`` dependency):

  * ``Model: "<name>"``, then a box-drawing table (heavy header, a rule between rows) with columns
    ``Layer (type)`` / ``Output Shape`` / ``Param #`` (right-aligned), plus ``Connected to`` for
    functional models that are not a simple chain, plus ``Trainable`` with ``show_trainable``;
  * the line length defaults to 88 (108 with "Connected to", +12 with "Trainable"), at most the
    terminal width minus 4; column ``i`` gets ``int(positions[i] * line_length)`` minus the previous
    edge, then the columns shrink evenly to fit the borders and one space of padding each side;
  * cells wrap at spaces; a word longer than its cell is cut with "…"; lines longer than the
    terminal width are cropped;
  * then ``Total params``, ``Trainable params``, ``Non-trainable params`` (and ``Optimizer params``
    once a compiled model's optimizer has built its variables) with their sizes in B/KB/MB/...
"""
from __future__ import annotations

import math
import re
import shutil
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple

import numpy as np

_WORD = re.compile(r"\s*\S+\s*")

_DTYPE_BITS = {"bool": 1, "bfloat16": 16}


# -- sizes -----------------------------------------------------------------------------------------------

def count_params(weights: Iterable[Any]) -> int:
    return int(sum(math.prod(tuple(w.shape)) for w in weights))


def _dtype_name(dtype: Any) -> str:
    name = getattr(dtype, "name", dtype)
    return str(name if isinstance(name, str) else np.dtype(dtype).name)


def weight_memory_size(weights: Iterable[Any]) -> float:
    """Bytes taken by ``weights`` (each counted once), from their dtypes' bit sizes."""
    unique = {id(w): w for w in weights}.values()
    bits = 0
    for w in unique:
        name = _dtype_name(w.dtype)
        size = _DTYPE_BITS.get(name)
        if size is None:
            size = np.dtype(name).itemsize * 8
        bits += math.prod(tuple(w.shape)) * size
    return bits / 8


def readable_memory_size(size: float) -> str:
    """``488.00 B``, ``1.44 KB``, ... (powers of 1024)."""
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    for unit in units:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} {units[-1]}"


# -- cell text -------------------------------------------------------------------------------------------

def _format_shape(shape: Sequence[Any]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _format_shapes(shapes: List[Sequence[Any]]) -> str:
    if len(shapes) == 1:
        return _format_shape(shapes[0])
    return "[" + ", ".join(_format_shape(s) for s in shapes) + "]"


def _is_shape(s: Any) -> bool:
    return isinstance(s, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer)) for d in s)


def _flat_shapes(s: Any) -> List[Any]:
    if _is_shape(s):
        return [tuple(s)]
    if isinstance(s, dict):
        return [x for v in s.values() for x in _flat_shapes(v)]
    if isinstance(s, (tuple, list)):
        return [x for v in s for x in _flat_shapes(v)]
    return []


def format_layer_shape(layer: Any) -> str:
    """The output shape(s) of the layer's last symbolic call, else from its build shape, else "?"."""
    nodes = getattr(layer, "_inbound_nodes", None) or []
    if nodes:
        return _format_shapes([t.shape for t in nodes[-1].output_tensors])
    build_shapes = getattr(layer, "_build_shapes", None)
    if build_shapes is None or not getattr(layer, "built", False):
        return "?"
    try:
        out = layer.compute_output_shape(build_shapes)
    except NotImplementedError:
        return "?"
    shapes = _flat_shapes(out)
    return _format_shapes(shapes) if shapes else "?"


# -- rich's table layout, reproduced ---------------------------------------------------------------------

def _reduce_evenly(excess: int, widths: List[int]) -> List[int]:
    """Take ``excess`` off the widths in equal parts (rounded as rich does), first columns first."""
    total_ratio = sum(1 for w in widths if w)
    remaining = excess
    out = []
    for w in widths:
        if w and total_ratio > 0:
            d = min(w, round(remaining / total_ratio))
            out.append(w - d)
            remaining -= d
            total_ratio -= 1
        else:
            out.append(w)
    return out


def _break_offsets(text: str, width: int, fold: bool) -> List[int]:
    """Where to break ``text`` so that its lines fit ``width`` (words end at spaces)."""
    breaks: List[int] = []
    offset = 0
    for m in _WORD.finditer(text):
        start, word = m.start(), m.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            if fold:
                pieces = [word[i:i + width] for i in range(0, len(word), width)]
                for i, piece in enumerate(pieces):
                    if start:
                        breaks.append(start)
                    if i == len(pieces) - 1:
                        offset = len(piece)
                    else:
                        start += len(piece)
            else:
                if start:
                    breaks.append(start)
                offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def _truncate(line: str, width: int) -> str:
    return line[:width - 1] + "…" if len(line) > width else line


def wrap_cell(text: str, width: int, justify: str = "left") -> List[str]:
    """``text`` as lines of exactly ``width`` characters (wrapped at spaces, cut with "…", justified)."""
    lines: List[str] = []
    for part in text.split("\n"):
        cuts = [0] + _break_offsets(part, width, fold=False) + [len(part)]
        for a, b in zip(cuts, cuts[1:]):
            line = part[a:b]
            if len(line) > width:  # drop trailing spaces past the edge
                excess = len(line) - width
                stripped = line.rstrip()
                line = line[:len(line) - min(len(line) - len(stripped), excess)]
            if justify == "left":
                line = _truncate(line, width).ljust(width)
            elif justify == "right":
                line = _truncate(line.rstrip(), width)
                line = " " * (width - len(line)) + line
            else:  # center
                line = _truncate(line.rstrip(), width)
                left = (width - len(line)) // 2
                line = (" " * left + line).ljust(width)
            lines.append(line)
    return lines or [" " * width]


def _render_table(header: List[str], rows: List[List[str]], widths: List[int], justify: List[str]) -> List[str]:
    """The table's lines: widths include one space of padding on each side."""
    def rule(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * w for w in widths) + right

    def row_lines(cells: List[str], vert: str) -> List[str]:
        wrapped = [wrap_cell(c, max(w - 2, 0), j) for c, w, j in zip(cells, widths, justify)]
        height = max(len(c) for c in wrapped)
        out = []
        for i in range(height):
            parts = [(" " + c[i] + " ") if i < len(c) else " " * w for c, w in zip(wrapped, widths)]
            out.append(vert + vert.join(parts) + vert)
        return out

    lines = [rule("┏", "━", "┳", "┓")]
    lines += row_lines(header, "┃")
    lines.append(rule("┡", "━", "╇", "┩"))
    for i, r in enumerate(rows):
        if i:
            lines.append(rule("├", "─", "┼", "┤"))
        lines += row_lines(r, "│")
    lines.append(rule("└", "─", "┴", "┘"))
    return lines


# -- the summary -----------------------------------------------------------------------------------------

def _functional_nodes(model: Any) -> Optional[List[Any]]:
    from ..models.functional import Functional

    if isinstance(model, Functional):
        return list(model._nodes)
    return None


def _is_sequential_like(model: Any, nodes: List[Any]) -> bool:
    """A functional model is drawn without "Connected to" when its graph is a single chain."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return False
    seen_layers = set()
    for node in nodes:
        if len(node.input_tensors) > 1:
            return False
        if id(node.layer) in seen_layers:  # a shared layer
            return False
        seen_layers.add(id(node.layer))
    consumers: dict = {}
    for node in nodes:
        for t in node.input_tensors:
            consumers[id(t)] = consumers.get(id(t), 0) + 1
    return all(n <= 1 for n in consumers.values())


def _connections(layer: Any, relevant: List[Any]) -> str:
    out = []
    ids = {id(n) for n in relevant}
    for node in getattr(layer, "_inbound_nodes", []):
        if id(node) not in ids:
            continue
        for t in node.input_tensors:
            src, node_index, tensor_index = t._keras_history
            out.append(f"{src.name}[{node_index}][{tensor_index}]")
    return ", ".join(out) if out else "-"


def get_layer_index_bound_by_layer_name(layers: List[Any], layer_range: Any = None) -> Tuple[int, int]:
    """(first, last + 1) indices of the layers whose names match ``layer_range``'s two regexes."""
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError(f"layer_range must be a list or tuple of length 2. Received: layer_range = {layer_range} "
                         f"of length {len(layer_range)}")
    if not isinstance(layer_range[0], str) or not isinstance(layer_range[1], str):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, x in enumerate(layers) if re.match(layer_range[0], x.name)]
    upper = [i for i, x in enumerate(layers) if re.match(layer_range[1], x.name)]
    if not lower or not upper:
        raise ValueError(f"Passed layer_names do not match the layer names in the model. Received: {layer_range}")
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def _console_width() -> int:
    return shutil.get_terminal_size().columns


def summary_lines(model: Any, line_length: Optional[int] = None, positions: Optional[Sequence[float]] = None,
                  expand_nested: bool = False, show_trainable: bool = False, layer_range: Any = None) -> List[str]:
    """The lines of :func:`print_summary`'s output (without newlines)."""
    nodes = _functional_nodes(model)
    # a functional model lists its operations (``a + b`` too), as Keras's summary does
    layers = list(model.operations if nodes is not None and hasattr(model, "operations") else model.layers)
    sequential_like = nodes is None or _is_sequential_like(model, nodes)
    if sequential_like:
        default_length = 88
        positions = list(positions or [0.45, 0.80, 1.0])
        header = ["Layer (type)", "Output Shape", "Param #"]
        justify = ["left", "left", "right"]
    else:
        default_length = 108
        positions = list(positions or [0.3, 0.56, 0.74, 1.0])
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        justify = ["left", "left", "right", "left"]
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        justify.append("center")
    console_width = _console_width()
    line_length = line_length or min(default_length, console_width - 4)
    widths: List[int] = []
    current = 0
    for pos in positions:
        w = int(pos * line_length) - current
        if w < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(w)
        current += w
    # each column gets one space of padding per side; the borders take len(widths) + 1 characters
    padded = [w + 2 for w in widths]
    room = line_length - (len(widths) + 1)
    if sum(padded) > room:
        padded = _reduce_evenly(sum(padded) - room, padded)

    def fields(layer: Any, prefix: str) -> List[str]:
        name = f"{prefix}{layer.name} ({type(layer).__name__})"
        if not hasattr(layer, "built"):
            params = "0"
        elif not layer.built:
            params = "0 (unbuilt)"
        else:
            params = f"{layer.count_params():,}"
        row = [name, format_layer_shape(layer), params]
        if not sequential_like:
            row.append(_connections(layer, nodes or []))
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if getattr(layer, "weights", None) else "-")
        return row

    def rows_of(layer: Any, level: int = 0) -> List[List[str]]:
        prefix = "   " * level + "└ " if level else ""
        rows = [fields(layer, prefix)]
        if expand_nested and getattr(layer, "layers", None):
            for sub in layer.layers:
                rows.extend(rows_of(sub, level + 1))
        return rows

    lo, hi = get_layer_index_bound_by_layer_name(layers, layer_range)
    rows = [r for layer in layers[lo:hi] for r in rows_of(layer)]

    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    t_count, t_size = count_params(trainable), weight_memory_size(trainable)
    n_count, n_size = count_params(non_trainable), weight_memory_size(non_trainable)
    opt = getattr(model, "optimizer", None)
    opt_built = bool(getattr(model, "compiled", False) and opt is not None and getattr(opt, "built", False))
    o_count = count_params(opt.variables) if opt_built else 0
    o_size = weight_memory_size(opt.variables) if opt_built else 0

    table = [line[:console_width] for line in _render_table(header, rows, padded, justify)]
    lines = [f'Model: "{model.name}"'] + table
    lines.append(f" Total params: {t_count + n_count + o_count:,} ({readable_memory_size(t_size + n_size + o_size)})")
    lines.append(f" Trainable params: {t_count:,} ({readable_memory_size(t_size)})")
    lines.append(f" Non-trainable params: {n_count:,} ({readable_memory_size(n_size)})")
    if opt_built:
        lines.append(f" Optimizer params: {o_count:,} ({readable_memory_size(o_size)})")
    return lines


def print_summary(model: Any, line_length: Optional[int] = None, positions: Optional[Sequence[float]] = None,
                  print_fn: Optional[Callable[..., Any]] = None, expand_nested: bool = False,
                  show_trainable: bool = False, layer_range: Any = None) -> None:
    """Print a summary of ``model`` (see the module docstring for the layout).

    Args:
        model: a Keras model.
        line_length: the table's total width (default 88, or 108 with a "Connected to" column; at
            most the terminal width minus 4).
        positions: the right edge of each column as a fraction of ``line_length``.
        print_fn: called with the whole summary text (ending in a newline), as Keras 3 does;
            default: written to stdout.
        expand_nested: also list the layers of nested models, indented with "└ ".
        show_trainable: add a "Trainable" column (Y/N, "-" for layers without weights).
        layer_range: two regexes: only the layers from the first name matching the first to the last
            name matching the second.
    """
    text = "\n".join(summary_lines(model, line_length=line_length, positions=positions, expand_nested=expand_nested,
                                   show_trainable=show_trainable, layer_range=layer_range)) + "\n"
    if print_fn is None:
        import sys

        sys.stdout.write(text)
    else:
        print_fn(text)
