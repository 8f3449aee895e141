"""keras.utils.model_to_dot / plot_model: the pydot graph is Keras's (labels, attributes, edges), and
plot_model without Graphviz raises Keras's ImportError.

The expected DOT text was produced by real Keras 3.15.1's ``model_to_dot`` on the same models (node
ids, which are Python object ids, renamed N0, N1, ... in order of appearance).
"""
from __future__ import annotations

import re
import shutil

import pytest

import unidl_keras as keras

pydot = pytest.importorskip("pydot")  # the `plot` extra; CI installs it with the test extra

_ROW = ('<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white"><b>{name}</b> ({cls})'
        '</font></td></tr>')


def _canon(dot) -> str:
    ids: dict = {}
    return re.sub(r"\b\d{8,}\b", lambda m: ids.setdefault(m.group(0), f"N{len(ids)}"), dot.to_string())


def _functional():
    layers = keras.layers
    inp = keras.Input((4,), name="x")
    a = layers.Dense(3, activation="relu", name="d1")(inp)
    b = layers.Dense(3, name="d2")(inp)
    out = layers.Dense(1, name="out")(layers.Add(name="add")([a, b]))
    return keras.Model(inp, out, name="m")


def test_functional_graph_nodes_and_edges_as_keras():
    text = _canon(keras.utils.model_to_dot(_functional()))
    assert text.startswith("digraph G {\nrankdir=TB;\nconcentrate=true;\ndpi=200;\nsplines=ortho;\n"
                           "node [shape=record];\n")
    for name, cls in [("x", "InputLayer"), ("d1", "Dense"), ("d2", "Dense"), ("add", "Add"), ("out", "Dense")]:
        assert _ROW.format(span=1, name=name, cls=cls) in text
    edges = re.findall(r"(N\d) -> (N\d) \[penwidth=2\];", text)
    assert edges == [("N0", "N1"), ("N0", "N2"), ("N1", "N3"), ("N2", "N3"), ("N3", "N4")]


def test_labels_with_shapes_dtype_activation_trainable():
    text = _canon(keras.utils.model_to_dot(_functional(), show_shapes=True, show_dtype=True,
                                           show_layer_activations=True, show_trainable=True))
    d1 = ('N1 [label=<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
          '<tr><td colspan="4" bgcolor="black"><font point-size="16" color="white"><b>d1</b> (Dense)</font></td></tr>'
          '<tr><td bgcolor="white" colspan="4"><font point-size="14">Activation: <b>relu</b></font></td></tr>'
          '<tr><td bgcolor="white"><font point-size="14">Input shape: <b>(None, 4)</b></font></td>'
          '<td bgcolor="white"><font point-size="14">Output shape: <b>(None, 3)</b></font></td>'
          '<td bgcolor="white"><font point-size="14">Output dtype: <b>float32</b></font></td>'
          '<td bgcolor="forestgreen"><font point-size="14" color="white"><b>Trainable</b></font></td></tr>'
          '</table>>, fontname=Helvetica, border=0, margin=0];')
    assert d1 in text
    assert "Input shape: <b>[(None, 3), (None, 3)]</b>" in text  # the Add layer's two inputs


def test_sequential_chain_and_errors():
    seq = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, name="s1"), keras.layers.Dense(1, name="s2")])
    text = _canon(keras.utils.model_to_dot(seq))
    assert re.findall(r"(N\d) -> (N\d)", text) == [("N0", "N1")]
    with pytest.raises(ValueError, match="layer_range"):
        keras.utils.model_to_dot(seq, layer_range=["s1", "s2"])
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        keras.utils.model_to_dot(seq, colour=True)
    with pytest.raises(ValueError, match="not yet been built"):
        keras.utils.model_to_dot(keras.Sequential([keras.layers.Dense(2)]))


@pytest.mark.skipif(shutil.which("dot") is not None, reason="checks the error raised without Graphviz")
def test_plot_model_without_graphviz_raises_keras_error(tmp_path):
    with pytest.raises(ImportError, match=r"You must install graphviz .* for `plot_model` to work\."):
        keras.utils.plot_model(_functional(), to_file=str(tmp_path / "m.png"))
    assert not (tmp_path / "m.png").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot program")
def test_plot_model_writes_the_file(tmp_path):
    keras.utils.plot_model(_functional(), to_file=str(tmp_path / "m.svg"), show_shapes=True)
    assert (tmp_path / "m.svg").read_text().lstrip().startswith("<?xml")
