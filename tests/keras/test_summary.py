"""model.summary(): Keras 3's table as printed when stdout is not a terminal (80 columns)."""
from __future__ import annotations

import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras import layers
from unidl_keras.utils.summary_utils import readable_memory_size, wrap_cell


@pytest.fixture(autouse=True)
def _width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # non-terminal default: tables 76 wide


def text_of(model, **kw):
    calls = []
    model.summary(print_fn=calls.append, **kw)
    assert len(calls) == 1  # Keras 3 hands the whole summary to print_fn at once
    return calls[0]


def test_sequential_summary():
    model = keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(4, 3, padding="same", name="conv"),
                              layers.MaxPooling2D(name="pool"), layers.GlobalAveragePooling2D(name="gap"),
                              layers.Dense(2, name="dense")], name="seq")
    expected = (
        'Model: "seq"\n'
        "┏" + "━" * 33 + "┳" + "━" * 24 + "┳" + "━" * 15 + "┓\n"
        "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃\n"
        "┡" + "━" * 33 + "╇" + "━" * 24 + "╇" + "━" * 15 + "┩\n"
        "│ conv (Conv2D)                   │ (None, 8, 8, 4)        │           112 │\n"
        "├" + "─" * 33 + "┼" + "─" * 24 + "┼" + "─" * 15 + "┤\n"
        "│ pool (MaxPooling2D)             │ (None, 4, 4, 4)        │             0 │\n"
        "├" + "─" * 33 + "┼" + "─" * 24 + "┼" + "─" * 15 + "┤\n"
        "│ gap (GlobalAveragePooling2D)    │ (None, 4)              │             0 │\n"
        "├" + "─" * 33 + "┼" + "─" * 24 + "┼" + "─" * 15 + "┤\n"
        "│ dense (Dense)                   │ (None, 2)              │            10 │\n"
        "└" + "─" * 33 + "┴" + "─" * 24 + "┴" + "─" * 15 + "┘\n"
        " Total params: 122 (488.00 B)\n"
        " Trainable params: 122 (488.00 B)\n"
        " Non-trainable params: 0 (0.00 B)\n")
    assert text_of(model) == expected


def test_summary_prints_to_stdout(capsys):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="d")], name="tiny")
    model.summary()
    out = capsys.readouterr().out
    assert out.startswith('Model: "tiny"\n┏') and out.endswith(" Non-trainable params: 0 (0.00 B)\n")
    assert "│ d (Dense)                       │ (None, 2)              │             8 │" in out


def test_long_names_wrap_and_truncate():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2, name="global_average_pooling2d"),
                              layers.Dense(1, name="a_really_long_layer_name_that_cannot_fit")], name="m")
    lines = text_of(model).splitlines()
    assert lines[4] == "│ global_average_pooling2d        │ (None, 2)              │            10 │"
    assert lines[5] == "│ (Dense)                         │                        │               │"
    assert lines[7] == "│ a_really_long_layer_name_that_… │ (None, 1)              │             3 │"
    assert lines[8] == "│ (Dense)                         │                        │               │"


def test_functional_with_branches_has_connected_to():
    inp = keras.Input((8,), name="inp")
    a = layers.Dense(4, name="a")(inp)
    b = layers.Dense(4, name="b")(inp)
    out = layers.Dense(1, name="out")(layers.Concatenate(name="cat")([a, b]))
    model = keras.Model(inp, out, name="branchy")
    sep = "├" + "─" * 21 + "┼" + "─" * 19 + "┼" + "─" * 12 + "┼" + "─" * 19 + "┤"
    expected = [
        'Model: "branchy"',
        "┏" + "━" * 21 + "┳" + "━" * 19 + "┳" + "━" * 12 + "┳" + "━" * 19 + "┓",
        "┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃",
        "┡" + "━" * 21 + "╇" + "━" * 19 + "╇" + "━" * 12 + "╇" + "━" * 19 + "┩",
        "│ inp (InputLayer)    │ (None, 8)         │          0 │ -                 │", sep,
        "│ a (Dense)           │ (None, 4)         │         36 │ inp[0][0]         │", sep,
        "│ b (Dense)           │ (None, 4)         │         36 │ inp[0][0]         │", sep,
        "│ cat (Concatenate)   │ (None, 8)         │          0 │ a[0][0], b[0][0]  │", sep,
        "│ out (Dense)         │ (None, 1)         │          9 │ cat[0][0]         │",
        "└" + "─" * 21 + "┴" + "─" * 19 + "┴" + "─" * 12 + "┴" + "─" * 19 + "┘",
        " Total params: 81 (324.00 B)",
        " Trainable params: 81 (324.00 B)",
        " Non-trainable params: 0 (0.00 B)",
    ]
    assert text_of(model).splitlines() == expected


def test_functional_chain_lists_input_layer_without_connections():
    inp = keras.Input((6, 2), name="x")
    out = layers.GlobalMaxPooling1D(name="g")(layers.Conv1D(3, 2, name="c", trainable=False)(inp))
    lines = text_of(keras.Model(inp, out, name="chain")).splitlines()
    assert lines[2] == "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃"
    assert lines[4] == "│ x (InputLayer)                  │ (None, 6, 2)           │             0 │"
    assert lines[6] == "│ c (Conv1D)                      │ (None, 5, 3)           │            15 │"
    assert lines[8] == "│ g (GlobalMaxPooling1D)          │ (None, 3)              │             0 │"
    assert lines[-3:] == [" Total params: 15 (60.00 B)", " Trainable params: 0 (0.00 B)",
                          " Non-trainable params: 15 (60.00 B)"]


def test_empty_and_unbuilt_models():
    assert text_of(keras.Sequential(name="empty")).splitlines()[3:5] == [
        "┡" + "━" * 33 + "╇" + "━" * 24 + "╇" + "━" * 15 + "┩",
        "└" + "─" * 33 + "┴" + "─" * 24 + "┴" + "─" * 15 + "┘"]
    lines = text_of(keras.Sequential([layers.Dense(3, name="d1"), layers.Conv1D(2, 3, name="c1")], name="u"))
    lines = lines.splitlines()
    assert lines[4] == "│ d1 (Dense)                      │ ?                      │   0 (unbuilt) │"
    assert lines[6] == "│ c1 (Conv1D)                     │ ?                      │   0 (unbuilt) │"
    assert lines[-3] == " Total params: 0 (0.00 B)"


def test_show_trainable_line_length_and_layer_range():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2, name="d"), layers.Dropout(0.1, name="drop"),
                              layers.Dense(1, name="f", trainable=False)], name="s")
    lines = text_of(model, show_trainable=True).splitlines()
    assert lines[2] == "┃ Layer (type)                ┃ Output Shape          ┃    Param # ┃ Trai… ┃"
    assert lines[4] == "│ d (Dense)                   │ (None, 2)             │         10 │   Y   │"
    assert lines[6] == "│ drop (Dropout)              │ (None, 2)             │          0 │   -   │"
    assert lines[8] == "│ f (Dense)                   │ (None, 1)             │          3 │   N   │"
    lines = text_of(model, line_length=60).splitlines()
    assert lines[4] == "│ d (Dense)                │ (None, 2)         │        10 │"
    lines = text_of(model, layer_range=["d", "drop"]).splitlines()
    assert [x.split("│")[1].strip() for x in lines if x.startswith("│")] == ["d (Dense)", "drop (Dropout)"]
    with pytest.raises(ValueError, match="do not match the layer names"):
        model.summary(layer_range=["nope", "d"])
    with pytest.raises(ValueError, match="layer_range must be a list or tuple of length 2"):
        model.summary(layer_range=["d"])


def test_wide_tables_are_cropped_to_the_terminal():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2, name="d")], name="w")
    lines = text_of(model, line_length=120).splitlines()
    # columns 54/42/24 wide, padded 56/44/26, shrunk by 3/4/3 to fit 116: the first cell spans 53
    assert lines[4] == "│ d (Dense)" + " " * 43 + "│ (None, 2)" + " " * 15
    assert len(lines[4]) == 80


def test_expand_nested():
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(2, name="d_in")], name="inner")
    outer = keras.Sequential([keras.Input((4,)), inner, layers.Dense(1, name="d_out")], name="outer")
    rows = [x for x in text_of(outer, expand_nested=True).splitlines() if x.startswith("│")]
    assert rows == ["│ inner (Sequential)              │ (None, 2)              │            10 │",
                    "│    └ d_in (Dense)               │ (None, 2)              │            10 │",
                    "│ d_out (Dense)                   │ (None, 1)              │             3 │"]


def test_optimizer_params_after_training():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2, name="d")], name="s")
    model.compile(optimizer="sgd", loss="mse")
    assert "Optimizer params" not in text_of(model)  # the optimizer has no variables yet
    model.fit(np.zeros((2, 4), "float32"), np.zeros((2, 2), "float32"), verbose=0)
    opt_vars = model.optimizer.variables
    n = sum(int(np.prod(v.shape)) for v in opt_vars)
    tail = text_of(model).splitlines()[-4:]
    assert tail[0].startswith(f" Total params: {10 + n} (")
    assert tail[3].startswith(f" Optimizer params: {n} (")


def test_memory_sizes_and_wrapping_helpers():
    assert readable_memory_size(488) == "488.00 B"
    assert readable_memory_size(1476) == "1.44 KB"
    assert readable_memory_size(3 * 1024 ** 3) == "3.00 GB"
    assert wrap_cell("[(None, 2), (None, 2), (None, 2)]", 22) == ["[(None, 2), (None, 2),", "(None, 2)]".ljust(22)]
    assert wrap_cell("123", 6, "right") == ["   123"]
    assert wrap_cell("Y", 5, "center") == ["  Y  "]
