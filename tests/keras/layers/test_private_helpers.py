"""The helpers shared by the merging / reshaping / dropout layers live in private modules (as Keras's
``base_merge``); the public layer modules still expose the names they used to hold."""
from __future__ import annotations

import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras.layers.merging import add, base_merge, maximum
from unidl_keras.layers.regularization import _dropout_utils, dropout
from unidl_keras.layers.reshaping import _padding_utils, _zero_padding, zero_padding1d


def test_merge_base_is_shared_and_old_names_still_import():
    assert add.Merge is base_merge.Merge and add.expand_mask is base_merge.expand_mask
    assert issubclass(keras.layers.Add, base_merge.Merge) and issubclass(maximum.Maximum, base_merge.Merge)
    assert base_merge.Merge(name="m").compute_output_shape([(None, 3, 1), (None, 3, 4)]) == (None, 3, 4)
    with pytest.raises(ValueError, match="incompatible shapes"):
        base_merge.Merge().compute_output_shape([(None, 3), (None, 4)])


def test_padding_utils_and_zero_padding_base():
    assert zero_padding1d.standardize_tuple is _padding_utils.standardize_tuple
    assert _padding_utils.pairs(1, 2, "padding") == ((1, 1), (1, 1))
    assert _padding_utils.pairs(((1, 2), 3), 2, "padding") == ((1, 2), (3, 3))
    with pytest.raises(ValueError, match="should have two elements"):
        _padding_utils.pairs((1, 2, 3), 2, "padding")
    assert _padding_utils.spatial_axes("channels_first", 2) == (2, 3)
    assert issubclass(keras.layers.ZeroPadding2D, _zero_padding._ZeroPadding)
    x = np.ones((1, 2, 3), "float32")
    np.testing.assert_array_equal(keras.layers.ZeroPadding1D((1, 2))(x).numpy(), np.pad(x, ((0, 0), (1, 2), (0, 0))))


def test_dropout_utils():
    assert dropout.check_rate is _dropout_utils.check_rate
    with pytest.raises(ValueError, match="Expected a float value between 0 and 1"):
        _dropout_utils.check_rate(1.5)
    assert _dropout_utils.make_generator(None) is None
    assert _dropout_utils.concrete_noise_shape((None, 1), np.zeros((4, 3))) == (4, 1)
