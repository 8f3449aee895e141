"""keras.distribution, tf.distribute strategies, multi_gpu_model and horovod.keras in one process (rank 0 of 1):
the API behaves as Keras / TensorFlow / Horovod's (error texts from real Keras 3.15.1), and training is the
ordinary single-process training. The 2-rank behaviour is tested in tests/distributed/test_keras.py."""
from __future__ import annotations

import numpy as np
import pytest

import unidl
import unidl_keras as keras

D = keras.distribution


def test_mesh_layout_and_layout_map_as_keras():
    mesh = D.DeviceMesh((2,), ["batch"], devices=["cpu:0", "cpu:1"])
    assert repr(mesh) == "<DeviceMesh shape=(2,), axis_names=['batch']>" and mesh.devices.shape == (2,)
    with pytest.raises(ValueError, match=r"Shape and axis_names cannot be empty. Received: shape=\(\), axis_names"):
        D.DeviceMesh((), ["a"], devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="Shape and axis_names should have same size"):
        D.DeviceMesh((2,), ["a", "b"], devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match=r"Shape does not match the number of devices. Received: shape=\(3,\); "
                                         r"devices.shape=\(2,\)"):
        D.DeviceMesh((3,), ["batch"], devices=["cpu:0", "cpu:1"])
    layout = D.TensorLayout(["batch", None], mesh)
    assert layout.axes == ("batch", None) and layout.device_mesh is mesh
    with pytest.raises(ValueError, match=r"Invalid axis names for Layout. Valid axis names: \{'batch'\}, Got \{'x'\}"):
        D.TensorLayout(["x"], mesh)
    lm = D.LayoutMap(mesh)
    lm["dense.*kernel"] = (None, "batch")
    assert lm["dense_1/kernel"].axes == (None, "batch") and lm["other"] is None
    with pytest.raises(ValueError, match="already exist in the LayoutMap"):
        lm["dense.*kernel"] = (None,)


def test_one_process_is_one_device_and_data_parallel_trains_as_usual():
    assert D.list_devices() == ["cpu:0"] and D.get_device_count() == 1
    D.initialize(num_processes=1, process_id=0)
    with pytest.raises(ValueError, match="num_processes=2"):
        D.initialize(num_processes=2)
    with pytest.raises(NotImplementedError, match="ModelParallel"):
        D.ModelParallel(layout_map=None)
    dp = D.DataParallel()
    assert dp.num_model_replicas == 1 and dp.batch_dim_name == "batch" and dp.auto_shard_dataset

    def train(distribution):
        keras.utils.set_random_seed(3)
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        m.compile(keras.optimizers.SGD(0.1), "mse")
        D.set_distribution(distribution)
        try:
            m.fit(np.ones((8, 3), "float32"), np.zeros((8, 2), "float32"), batch_size=4, epochs=2, verbose=0)
        finally:
            D.set_distribution(None)
        return [w.numpy() for w in m.weights]

    for a, b in zip(train(dp), train(None)):
        assert a.tobytes() == b.tobytes()
    with dp.scope():
        assert D.distribution() is dp
    assert D.distribution() is None


def test_strategies_multi_gpu_model_and_horovod_keras_on_one_rank():
    with unidl.install_aliases():
        import horovod.keras as hvd
        import horovod.tensorflow.keras as hvd_tf
        import tensorflow as tf

        assert hvd_tf is hvd
        strategy = tf.distribute.MirroredStrategy()
        assert strategy.num_replicas_in_sync == 1 and not tf.distribute.has_strategy()
        with strategy.scope():
            assert tf.distribute.get_strategy() is strategy
            m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
            m.compile("sgd", "mse")
        assert m.__dict__.get("_dp_requested") is True
        with pytest.raises(ValueError, match=r"call `multi_gpu_model` with `gpus >= 2`. Received: `gpus=1`"):
            keras.utils.multi_gpu_model(m, gpus=1)
        assert keras.utils.multi_gpu_model(m, gpus=2) is m

        hvd.init()
        assert (hvd.rank(), hvd.size(), hvd.local_rank(), hvd.local_size()) == (0, 1, 0, 1)
        np.testing.assert_array_equal(hvd.allreduce(np.array([1.0, 3.0])), [1.0, 3.0])
        assert hvd.allgather(np.ones((2, 3))).shape == (2, 3)
        opt = hvd.DistributedOptimizer(keras.optimizers.Adam(0.01))
        assert isinstance(opt, keras.optimizers.Adam) and float(opt.learning_rate.numpy()) == pytest.approx(0.01)
        with pytest.raises(ValueError, match="backward_passes_per_step"):
            hvd.DistributedOptimizer(keras.optimizers.SGD(), backward_passes_per_step=2)
        keras.utils.set_random_seed(3)
        m2 = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        m2.compile(opt, "mse")
        warm = hvd.callbacks.LearningRateWarmupCallback(initial_lr=0.01, warmup_epochs=2, steps_per_epoch=2)
        h = m2.fit(np.ones((8, 3), "float32"), np.zeros((8, 2), "float32"), batch_size=4, epochs=3, verbose=0,
                   callbacks=[hvd.callbacks.BroadcastGlobalVariablesCallback(0), hvd.callbacks.MetricAverageCallback(),
                              warm])
        # one rank: the warmup multiplier 1/size * (epoch * (size - 1) / warmup + 1) is 1 throughout
        assert h.history["lr"] == pytest.approx([0.01, 0.01, 0.01])
