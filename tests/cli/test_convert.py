"""``unidl convert``: Keras <-> Gluon weight files through the canonical spec and units, verified, atomic."""
from __future__ import annotations

import numpy as np
import pytest

import unidl_keras as keras
import unidl_mxnet as mx
from unidl.cli.main import main
from unidl.io import mxnet_params
from unidl.nn import canonical
from unidl_keras import canonical as keras_canonical

L = keras.layers
CF = "channels_first"


def _kout(model, x):
    return np.asarray(model.predict(x, batch_size=len(x), verbose=0))


def _cnn_cf(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((1, 8, 8)), L.Conv2D(4, 3, activation="relu", data_format=CF),
                             L.MaxPooling2D(2, data_format=CF), L.Flatten(), L.Dense(10)])


def _cnn_cl(seed):
    keras.utils.set_random_seed(seed)
    m = keras.Sequential([keras.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same", activation="relu"),
                          L.BatchNormalization(), L.MaxPooling2D(2), L.Flatten(), L.Dropout(0.2),
                          L.Dense(5, activation="softmax")])
    bn = m.layers[1]
    rng = np.random.RandomState(seed)
    bn.moving_mean.assign(rng.rand(4).astype("float32"))
    bn.moving_variance.assign((1 + rng.rand(4)).astype("float32"))
    return m


def _weights(model):
    return [np.asarray(v.numpy()) for v in model.weights]


def test_keras_to_params_channels_first_loads_into_a_plain_gluon_net(tmp_path, capsys):
    m = _cnn_cf(1)
    m.save(str(tmp_path / "m.keras"))
    assert main(["convert", str(tmp_path / "m.keras"), str(tmp_path / "m.params")]) == 0
    assert "bitwise identical" in capsys.readouterr().out
    p = mxnet_params.load(str(tmp_path / "m.params"))
    assert list(p) == ["0.weight", "0.bias", "3.weight", "3.bias"]          # save_parameters' structural names
    conv, dense = m.layers[0], m.layers[3]
    np.testing.assert_array_equal(p["0.weight"], np.asarray(conv.kernel.numpy()).transpose(3, 2, 0, 1))
    np.testing.assert_array_equal(p["3.weight"], np.asarray(dense.kernel.numpy()).T)
    # the file works in the Gluon net a Gluon user writes
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Conv2D(4, 3, activation="relu"), mx.gluon.nn.MaxPool2D(2), mx.gluon.nn.Flatten(),
            mx.gluon.nn.Dense(10))
    net.load_parameters(str(tmp_path / "m.params"))
    x = np.random.RandomState(0).rand(5, 1, 8, 8).astype("float32")
    assert net(mx.nd.array(x)).asnumpy().tobytes() == _kout(m, x).tobytes()
    # .weights.h5 + the architecture (another initialization) gives the same file
    m.save_weights(str(tmp_path / "m.weights.h5"))
    _cnn_cf(7).save(str(tmp_path / "arch.keras"))
    assert main(["convert", str(tmp_path / "m.weights.h5"), str(tmp_path / "w.params"), "--keras-model",
                 str(tmp_path / "arch.keras"), "--quiet"]) == 0
    assert (tmp_path / "w.params").read_bytes() == (tmp_path / "m.params").read_bytes()


def test_channels_last_round_trip_permutes_the_dense_after_flatten(tmp_path):
    m = _cnn_cl(2)
    m.save(str(tmp_path / "cl.keras"))
    assert main(["convert", str(tmp_path / "cl.keras"), str(tmp_path / "cl.params"), "--quiet"]) == 0
    x = np.random.RandomState(1).randn(3, 8, 8, 3).astype("float32")
    # a plain NCHW Gluon net gives Keras's output on the NCHW transpose of the input
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, padding=1, activation="relu"), nn.BatchNorm(momentum=0.99, epsilon=1e-3),
            nn.MaxPool2D(2), nn.Flatten(), nn.Dropout(0.2), nn.Dense(5))
    net.load_parameters(str(tmp_path / "cl.params"))
    yg = mx.nd.softmax(net(mx.nd.array(x.transpose(0, 3, 1, 2)))).asnumpy()
    np.testing.assert_allclose(yg, _kout(m, x), rtol=1e-5, atol=1e-6)
    # .params -> .keras into a differently initialized model of the same architecture: exact weights back
    _cnn_cl(99).save(str(tmp_path / "arch.keras"))
    assert main(["convert", str(tmp_path / "cl.params"), str(tmp_path / "back.keras"), "--keras-model",
                 str(tmp_path / "arch.keras"), "--quiet"]) == 0
    back = keras.saving.load_model(str(tmp_path / "back.keras"))
    for a, b in zip(_weights(back), _weights(m)):
        assert a.tobytes() == b.tobytes()
    assert main(["convert", str(tmp_path / "cl.params"), str(tmp_path / "back.weights.h5"), "--keras-model",
                 str(tmp_path / "arch.keras"), "--quiet"]) == 0
    arch = keras.saving.load_model(str(tmp_path / "arch.keras"))
    arch.load_weights(str(tmp_path / "back.weights.h5"))
    assert _kout(arch, x).tobytes() == _kout(m, x).tobytes()


def test_lstm_round_trip(tmp_path):
    keras.utils.set_random_seed(3)
    m = keras.Sequential([keras.Input((5, 4)), L.LSTM(6), L.Dense(2)])
    m.save(str(tmp_path / "l.keras"))
    assert main(["convert", str(tmp_path / "l.keras"), str(tmp_path / "l.params"), "--quiet"]) == 0
    names = list(mxnet_params.load(str(tmp_path / "l.params")))
    assert names[0] == "0._unfused.0.i2h_weight" and names[-1] == "1.bias"   # as MXNet 1.9.1 names them
    keras.utils.set_random_seed(4)
    keras.Sequential([keras.Input((5, 4)), L.LSTM(6), L.Dense(2)]).save(str(tmp_path / "arch.keras"))
    assert main(["convert", str(tmp_path / "l.params"), str(tmp_path / "b.keras"), "--keras-model",
                 str(tmp_path / "arch.keras"), "--quiet"]) == 0
    for a, b in zip(_weights(keras.saving.load_model(str(tmp_path / "b.keras"))), _weights(m)):
        assert a.tobytes() == b.tobytes()


def test_corrupt_files_are_refused_without_writing(tmp_path, capsys):
    _cnn_cf(1).save(str(tmp_path / "arch.keras"))
    bad = tmp_path / "bad.params"
    bad.write_bytes(b"\x12\x01\x00\x00\x00\x00\x00\x00" + b"\xff" * 40)
    assert main(["convert", str(bad), str(tmp_path / "o.keras"), "--keras-model", str(tmp_path / "arch.keras")]) == 1
    err = capsys.readouterr().err
    assert "bad.params" in err and "Traceback" not in err
    badk = tmp_path / "bad.keras"
    badk.write_bytes(b"PK\x03\x04 not really a zip")
    assert main(["convert", str(badk), str(tmp_path / "o.params")]) == 1
    assert "cannot read the Keras model" in capsys.readouterr().err
    assert not (tmp_path / "o.keras").exists() and not (tmp_path / "o.params").exists()


def test_missing_output_folder_is_named(tmp_path, capsys):
    _cnn_cf(1).save(str(tmp_path / "m.keras"))
    dst = tmp_path / "nodir" / "o.params"
    assert main(["convert", str(tmp_path / "m.keras"), str(dst)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write '{dst}'" in err and f"folder '{tmp_path / 'nodir'}' does not exist" in err
    assert ".tmp" not in err and "Traceback" not in err and not (tmp_path / "nodir").exists()


def test_params_with_missing_names_is_refused(tmp_path, capsys):
    m = _cnn_cf(1)
    m.save(str(tmp_path / "arch.keras"))
    mxnet_params.save(str(tmp_path / "p.params"), {"0.weight": np.zeros((4, 1, 3, 3), "float32"),
                                                   "0.bias": np.zeros(4, "float32")})
    assert main(["convert", str(tmp_path / "p.params"), str(tmp_path / "o.keras"), "--keras-model",
                 str(tmp_path / "arch.keras")]) == 1
    err = capsys.readouterr().err
    assert "3.weight" in err and "missing" in err
    assert not (tmp_path / "o.keras").exists()


def test_unsupported_layer_is_named(tmp_path, capsys):
    m = keras.Sequential([keras.Input((4,)), L.Dense(6), L.Reshape((2, 3)), L.Flatten(), L.Dense(2)])
    m.save(str(tmp_path / "r.keras"))
    assert main(["convert", str(tmp_path / "r.keras"), str(tmp_path / "r.params")]) == 1
    err = capsys.readouterr().err
    assert "describing the Keras model in canonical terms" in err and "Reshape" in err and m.layers[1].name in err
    assert not (tmp_path / "r.params").exists()
    # an option with no canonical form: Keras 'same' padding that is not symmetric
    m2 = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(2, 2, padding="same")])
    with pytest.raises(keras_canonical.SpecError, match="odd element"):
        keras_canonical.describe(m2)


@pytest.mark.parametrize("direction", ["to_params", "to_keras"])
def test_verification_failure_writes_nothing(tmp_path, monkeypatch, capsys, direction):
    m = _cnn_cf(1)
    m.save(str(tmp_path / "m.keras"))
    assert main(["convert", str(tmp_path / "m.keras"), str(tmp_path / "m.params"), "--quiet"]) == 0
    real_transfer = canonical.transfer

    def bad_transfer(src, dst, names=("source", "target")):   # moves the weights, then spoils the last one
        real_transfer(src, dst, names)
        v = dst[-1].read()
        dst[-1].write({r: a * np.float32(1.01) for r, a in v.items()})

    monkeypatch.setattr(canonical, "transfer", bad_transfer)
    if direction == "to_params":
        args = ["convert", str(tmp_path / "m.keras"), str(tmp_path / "out.params")]
    else:
        args = ["convert", str(tmp_path / "m.params"), str(tmp_path / "out.keras"), "--keras-model",
                str(tmp_path / "m.keras")]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "verification failed, nothing written" in err and "weight(s) differ after the move" in err
    assert "360 of 360 values differ" in err   # the spoiled Dense kernel (36 x 10), named by both faces
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras", "m.params"]


def test_usage_errors(tmp_path, capsys):
    _cnn_cf(1).save(str(tmp_path / "m.keras"))
    assert main(["convert", str(tmp_path / "m.keras"), str(tmp_path / "m.txt")]) == 2
    assert "unsupported file type" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "m.keras"), str(tmp_path / "n.keras")]) == 2
    assert "one side must be a Gluon .params" in capsys.readouterr().err
    (tmp_path / "x.params").write_bytes(b"")
    assert main(["convert", str(tmp_path / "x.params"), str(tmp_path / "o.keras")]) == 2
    assert "--keras-model" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "none.keras"), str(tmp_path / "o.params")]) == 1
    assert "no such file" in capsys.readouterr().err
