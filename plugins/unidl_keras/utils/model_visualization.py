"""``keras.utils.model_to_dot`` / ``plot_model``: a model's layer graph drawn with pydot and Graphviz.

pydot (the ``plot`` extra) builds the graph; Graphviz's ``dot`` program renders it. As in Keras, a
missing pydot or Graphviz raises ImportError naming what to install (inside IPython the message is
printed instead, so notebooks without Graphviz keep running). Nodes are HTML-table records with the
layer name and class, optionally shapes, dtype, activation and trainability; edges follow the
functional graph (or the Sequential order).
"""
from __future__ import annotations

import os
import sys
from typing import Any, Optional

try:
    import pydot
except ImportError:  # pragma: no cover - depends on the environment
    pydot = None

from . import tree

__all__ = ["model_to_dot", "plot_model", "check_pydot", "check_graphviz"]


def check_pydot() -> bool:
    """Whether pydot is importable."""
    return pydot is not None


def check_graphviz() -> bool:
    """Whether pydot can run Graphviz (renders an empty graph)."""
    if not check_pydot():
        return False
    try:
        pydot.Dot.create(pydot.Dot())
        return True
    except (OSError, pydot.PydotException if hasattr(pydot, "PydotException") else OSError):
        return False


def _add_edge(dot: Any, src: Any, dst: Any) -> None:
    a, b = str(id(src)), str(id(dst))
    if not dot.get_edge(a, b):
        edge = pydot.Edge(a, b)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _activation_name(layer: Any) -> str:
    act = layer.activation
    return getattr(act, "name", None) or getattr(act, "__name__", None) or str(act)


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "?"
    text = ", ".join(f"{k}: {v}" for k, v in shape.items()) if isinstance(shape, dict) else f"{shape}"
    return text.replace("}", "").replace("{", "")


def _label(layer: Any, show_layer_names: bool, show_layer_activations: bool, show_dtype: bool,
           show_shapes: bool, show_trainable: bool) -> str:
    cls = type(layer).__name__
    span = max(1, int(show_dtype) + int(show_trainable) + (2 if show_shapes else 0))
    head = f"<b>{layer.name}</b> ({cls})" if show_layer_names else f"<b>{cls}</b>"
    rows = [f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white">{head}</font></td></tr>']
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        rows.append(f'<tr><td bgcolor="white" colspan="{span}"><font point-size="14">'
                    f"Activation: <b>{_activation_name(layer)}</b></font></td></tr>")
    cols = []
    if show_shapes:
        in_shape = out_shape = None
        try:
            in_shape = tree.map_structure(lambda x: x.shape, layer.input)
            out_shape = tree.map_structure(lambda x: x.shape, layer.output)
        except (ValueError, AttributeError):
            pass
        if cls != "InputLayer":
            cols.append(f'<td bgcolor="white"><font point-size="14">Input shape: <b>{_shape_text(in_shape)}</b>'
                        "</font></td>")
        cols.append(f'<td bgcolor="white"><font point-size="14">Output shape: <b>{_shape_text(out_shape)}</b>'
                    "</font></td>")
    if show_dtype:
        dtype = None
        try:
            dtype = tree.map_structure(lambda x: x.dtype, layer.output)
        except (ValueError, AttributeError):
            pass
        cols.append(f'<td bgcolor="white"><font point-size="14">Output dtype: <b>{dtype or "?"}</b></font></td>')
    if show_trainable and layer.weights:
        colour, text = ("forestgreen", "Trainable") if layer.trainable else ("firebrick", "Non-trainable")
        cols.append(f'<td bgcolor="{colour}"><font point-size="14" color="white"><b>{text}</b></font></td>')
    if cols:
        rows.append(f"<tr>{''.join(cols)}</tr>")
    return '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">' + "".join(rows) + "</table>>"


def _node(layer: Any, opts: dict) -> Any:
    node = pydot.Node(str(id(layer)), label=_label(layer, **opts))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    return node


def _innermost_source(layer: Any, output_index: int) -> Any:
    from ..models.functional import Functional
    from ..models.sequential import Sequential

    while isinstance(layer, (Functional, Sequential)):
        layer, _, output_index = layer.outputs[output_index]._keras_history
    return layer


def _innermost_destination(layer: Any, input_index: int) -> Any:
    from ..models.functional import Functional
    from ..models.sequential import Sequential

    while isinstance(layer, (Functional, Sequential)):
        layer = (layer.inputs[input_index]._keras_history[0] if isinstance(layer, Functional)
                 else layer.layers[0])
    return layer


def model_to_dot(model: Any, show_shapes: bool = False, show_dtype: bool = False, show_layer_names: bool = True,
                 rankdir: str = "TB", expand_nested: bool = False, dpi: int = 200, subgraph: bool = False,
                 show_layer_activations: bool = False, show_trainable: bool = False, splines: str = "ortho",
                 **kwargs: Any) -> Any:
    """The model's graph as a ``pydot.Dot`` (a ``pydot.Cluster`` with ``subgraph=True``).

    Sequential and functional models get one node per layer (functional: per operation) and an edge per
    connection; a subclassed model is a single node. ``expand_nested`` draws nested models as clusters.
    """
    from ..models.functional import Functional
    from ..models.sequential import Sequential

    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling `build()` or by "
                         "calling the model on a batch of data.")
    if not check_pydot():
        raise ImportError("You must install pydot (`pip install pydot`) for model_to_dot to work.")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    opts = dict(show_layer_names=show_layer_names, show_layer_activations=show_layer_activations,
                show_dtype=show_dtype, show_shapes=show_shapes, show_trainable=show_trainable)

    if isinstance(model, Sequential):
        layers = model.layers
    elif not isinstance(model, Functional):
        dot.add_node(_node(model, opts))
        return dot
    else:
        layers = model.operations
    for layer in layers:
        if expand_nested and isinstance(layer, (Functional, Sequential)):
            dot.add_subgraph(model_to_dot(layer, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested,
                                          subgraph=True, show_layer_activations=show_layer_activations,
                                          show_trainable=show_trainable))
        else:
            dot.add_node(_node(layer, opts))

    if isinstance(model, Sequential):
        if not expand_nested:
            for a, b in zip(layers, layers[1:]):
                _add_edge(dot, a, b)
            return dot
        layers = layers[1:]
    nodes = set(id(n) for n in getattr(model, "_nodes", ()))
    for layer in layers:
        for inbound in layer._inbound_nodes:
            if isinstance(model, Functional) and id(inbound) not in nodes:
                continue
            for input_index, t in enumerate(inbound.input_tensors):
                hist = t._keras_history
                if hist is None or hist[0] is None:
                    continue
                source = hist[0]
                if not expand_nested:
                    _add_edge(dot, source, layer)
                    continue
                _add_edge(dot, _innermost_source(source, hist[2]), _innermost_destination(layer, input_index))
    return dot


def plot_model(model: Any, to_file: str = "model.png", show_shapes: bool = False, show_dtype: bool = False,
               show_layer_names: bool = False, rankdir: str = "TB", expand_nested: bool = False, dpi: int = 200,
               show_layer_activations: bool = False, show_trainable: bool = False, splines: str = "ortho",
               **kwargs: Any) -> Optional[Any]:
    """Draws the model (see :func:`model_to_dot`) into ``to_file``, in the format its extension names
    (png by default); returns an IPython Image when IPython is installed and the format is not pdf."""
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling `build()` or by "
                         "calling the model on a batch of data.")
    in_notebook = "IPython.core.magics.namespace" in sys.modules
    for ok, message in ((check_pydot, "You must install pydot (`pip install pydot`) for `plot_model` to work."),
                        (check_graphviz, "You must install graphviz (see instructions at "
                                         "https://graphviz.gitlab.io/download/) for `plot_model` to work.")):
        if not ok():
            if in_notebook:
                print(message)
                return None
            raise ImportError(message)
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable,
                       splines=splines)
    to_file = str(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
