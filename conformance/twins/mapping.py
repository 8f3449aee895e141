"""Weight mapping between a Keras model and its Gluon twin, through the core's canonical units.

API (the twin tier's)::

    keras_to_gluon(keras_model, gluon_net)   # copy every Keras weight into the Gluon twin
    gluon_to_keras(gluon_net, keras_model)   # and back
    pair_units(keras_model, gluon_net)       # the matched units, for comparing values and gradients

Nothing here knows either framework's layouts: each face lists its model's weights as canonical units
(``unidl_keras.canonical.units``, ``unidl_mxnet.gluon.canonical.units``; the table of unit kinds and
canonical layouts is in ``unidl.nn.canonical``) and :func:`unidl.nn.canonical.pair_units` matches them one
by one by kind, roles, options and shapes, raising :class:`MappingError` naming both sides on a mismatch.
A Keras LSTM's single bias is ``i2h_bias = bias, h2h_bias = 0`` in canonical terms (exact: ``b + 0 == b``)
and comes back as ``i2h_bias + h2h_bias`` (one float add); its gradient reaches both Gluon biases. Keras
Bidirectional = Gluon ``bidirectional=True`` (forward -> ``l``, backward -> ``r``); a Gluon
``num_layers=L`` layer matches L stacked Keras layers.
"""
from __future__ import annotations

from typing import Any, List, Tuple

from unidl.nn import canonical
from unidl.nn.canonical import MappingError, Unit

__all__ = ["MappingError", "Unit", "keras_units", "gluon_units", "pair_units", "keras_to_gluon", "gluon_to_keras"]

NAMES = ("keras", "gluon")


def keras_units(model: Any) -> List[Unit]:
    from unidl_keras.canonical import units

    return units(model)


def gluon_units(net: Any) -> List[Unit]:
    from unidl_mxnet.gluon.canonical import units

    return units(net)


def pair_units(keras_model: Any, gluon_net: Any) -> List[Tuple[Unit, Unit]]:
    """Keras and Gluon units matched in order (see :func:`unidl.nn.canonical.pair_units`)."""
    return canonical.pair_units(keras_units(keras_model), gluon_units(gluon_net), NAMES)


def keras_to_gluon(keras_model: Any, gluon_net: Any) -> None:
    """Copy every weight of ``keras_model`` into ``gluon_net`` (both built/initialized), exactly."""
    for k, g in pair_units(keras_model, gluon_net):
        g.write(k.read())


def gluon_to_keras(gluon_net: Any, keras_model: Any) -> None:
    """Copy every parameter of ``gluon_net`` into ``keras_model`` (both built/initialized), exactly."""
    for k, g in pair_units(keras_model, gluon_net):
        k.write(g.read())
