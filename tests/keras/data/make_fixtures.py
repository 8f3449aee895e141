"""Make the real-Keras reference files for tests/keras/test_saving.py.

Run with real Keras 3 (torch backend), not with unidl:

    KERAS_BACKEND=torch /tmp/kvenv/bin/python tests/keras/data/make_fixtures.py

Writes, beside this script:
  seq.keras            Sequential(Input(4), Dense(3, relu), Dense(2)), compiled with Adam, one train step
  fun.keras            functional model: two inputs, two outputs, one Dense shared by both branches
  fun.weights.h5       the same model's weights (Keras 3 .weights.h5 layout)
  seq_legacy.h5        the Sequential model saved by Keras 3's legacy writer (model.save('x.h5'))
  sub.weights.h5       a subclassed model (attribute d1, list `blocks`, nested Sequential `inner`)
  keras2_seq.h5        a Keras-2-style whole-model file written with h5py (Keras 2 config spellings:
                       batch_input_shape, `lr`, `:0` weight names, bytes attributes), weights from real Keras
  keras2_weights.h5    a Keras-2-style weights-only file (layer_names at the root) for the same model
  expected.npz         inputs and the outputs real Keras computed for each file
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(0)
keras.utils.set_random_seed(0)


def p(name):
    return os.path.join(HERE, name)


def seq_model():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(2)],
                            name="seq")


def fun_model():
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    shared = keras.layers.Dense(3, activation="tanh", name="shared")
    h = keras.layers.Dense(3, name="proj")(a)
    o1 = keras.layers.Dense(2, name="o1")(shared(h))
    o2 = keras.layers.Dense(1, activation="sigmoid", name="o2")(shared(b))
    return keras.Model([a, b], [o1, o2], name="fun")


class Sub(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.d1 = keras.layers.Dense(3, activation="relu")
        self.blocks = [keras.layers.Dense(3), keras.layers.Dense(2)]
        self.inner = keras.Sequential([keras.layers.Dense(2)])

    def call(self, x):
        x = self.d1(x)
        for blk in self.blocks:
            x = blk(x)
        return self.inner(x)


def main():
    out = {}
    x4 = rng.standard_normal((6, 4)).astype("float32")
    x3 = rng.standard_normal((6, 3)).astype("float32")
    out["x4"], out["x3"] = x4, x3

    seq = seq_model()
    seq.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    seq.fit(x4, rng.standard_normal((6, 2)).astype("float32"), batch_size=6, epochs=1, verbose=0)
    seq.save(p("seq.keras"))
    seq.save(p("seq_legacy.h5"))
    out["seq"] = seq.predict(x4, verbose=0)
    out["seq_opt_iterations"] = np.asarray(int(seq.optimizer.iterations.numpy()))

    fun = fun_model()
    fun.save(p("fun.keras"))
    fun.save_weights(p("fun.weights.h5"))
    o1, o2 = fun.predict([x4, x3], verbose=0)
    out["fun_o1"], out["fun_o2"] = o1, o2

    sub = Sub(name="sub")
    sub(x4[:1])
    sub.save_weights(p("sub.weights.h5"))
    out["sub"] = sub.predict(x4, verbose=0)

    # Keras-2-style files, written by hand with h5py (real Keras 2 is not installed) from a real model.
    k2 = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu", name="dense_1"),
                           keras.layers.Dense(2, activation="softmax", name="dense_2")])
    out["keras2"] = k2.predict(x4, verbose=0)
    layers = [{"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                                                      "sparse": False, "ragged": False, "name": "dense_1_input"}}]
    for layer, act, extra in ((k2.layers[0], "relu", {"batch_input_shape": [None, 4]}),
                              (k2.layers[1], "softmax", {})):
        cfg = {"name": layer.name, "trainable": True, "dtype": "float32", "units": layer.units, "activation": act,
               "use_bias": True,
               "kernel_initializer": {"class_name": "VarianceScaling",
                                      "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform",
                                                 "seed": None}},
               "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
               "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
               "bias_constraint": None}
        cfg.update(extra)
        layers.append({"class_name": "Dense", "config": cfg})
    model_config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": layers}}
    training_config = {"loss": "categorical_crossentropy", "metrics": ["accuracy"], "weighted_metrics": None,
                       "loss_weights": None, "sample_weight_mode": None,
                       "optimizer_config": {"class_name": "Adam",
                                            "config": {"name": "Adam", "lr": 0.002, "decay": 0.0, "beta_1": 0.9,
                                                       "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}}

    def write_weights(group):
        group.attrs["layer_names"] = np.array([b"dense_1", b"dense_2"])
        group.attrs["backend"] = b"tensorflow"
        group.attrs["keras_version"] = b"2.4.0"
        for layer in k2.layers:
            g = group.create_group(layer.name)
            names = [f"{layer.name}/kernel:0".encode(), f"{layer.name}/bias:0".encode()]
            g.attrs["weight_names"] = np.array(names)
            for n, v in zip(names, layer.get_weights()):
                g.create_dataset(n.decode(), data=v)

    with h5py.File(p("keras2_seq.h5"), "w") as f:
        f.attrs["keras_version"] = b"2.4.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(model_config).encode("utf-8")
        f.attrs["training_config"] = json.dumps(training_config).encode("utf-8")
        write_weights(f.create_group("model_weights"))
    with h5py.File(p("keras2_weights.h5"), "w") as f:
        write_weights(f)

    np.savez(p("expected.npz"), **out)
    print("wrote fixtures to", HERE)


if __name__ == "__main__":
    main()
