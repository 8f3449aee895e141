"""``keras.layers.Bidirectional``: a recurrent layer run forwards and backwards, outputs merged."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from unidl import ops
from unidl.tensor import Tensor

from ..core.wrapper import Wrapper, deserialize_layer, serialize_layer
from ..layer import Layer

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _copy_layer(layer: Layer, **overrides: Any) -> Layer:
    cfg = layer.get_config()
    cfg.update(overrides)
    return type(layer).from_config(cfg)


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(Wrapper):
    """Runs ``layer`` over the sequence and a copy of it over the reversed sequence.

    Args:
        layer: a recurrent layer (RNN, LSTM, GRU, SimpleRNN, or any layer with ``go_backwards``,
            ``return_sequences`` and ``return_state``). Its config is copied into the forward
            layer (named ``forward_<name>``).
        merge_mode: how the two outputs combine: 'concat' (default, last axis), 'sum', 'mul', 'ave',
            or None (a list ``[forward, backward]``).
        backward_layer: an optional layer for the backward direction (it must have the opposite
            ``go_backwards`` and the same ``return_sequences``/``return_state``); by default a copy
            of ``layer`` with ``go_backwards`` flipped (named ``backward_<name>``).

    Call arguments: ``sequences``, ``initial_state`` (forward states then backward states),
    ``mask``, ``training``.

    Input shape: (batch, timesteps, features).
    Output shape: the wrapped layer's output with the last dim doubled for 'concat'; with
    ``return_state`` the merged output followed by the forward then backward states.
    Weights: the forward layer's, then the backward layer's.
    """

    def __init__(self, layer: Layer, merge_mode: Optional[str] = "concat", weights: Any = None,
                 backward_layer: Optional[Layer] = None, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"`backward_layer` need to be a `keras.layers.Layer` instance. "
                             f"Received: {backward_layer}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                             '{"sum", "mul", "ave", "concat", None}')
        for attr in ("go_backwards", "return_sequences", "return_state"):
            if not hasattr(layer, attr):
                raise ValueError(f"Bidirectional expects a recurrent layer with a `{attr}` attribute; received "
                                 f"{type(layer).__name__} '{layer.name}'.")
        super().__init__(layer, **kwargs)
        base = _strip(_strip(layer.name, "forward_"), "backward_")
        self.forward_layer = _copy_layer(layer, name="forward_" + base)
        if backward_layer is None:
            self.backward_layer = _copy_layer(layer, name="backward_" + base, go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError("Forward layer and backward layer should have different `go_backwards` value. "
                                 f"Received: forward_layer.go_backwards {layer.go_backwards}, "
                                 f"backward_layer.go_backwards={backward_layer.go_backwards}")
            for attr in ("return_sequences", "return_state", "stateful"):
                fv, bv = getattr(layer, attr, None), getattr(backward_layer, attr, None)
                if fv != bv:
                    raise ValueError("Forward layer and backward layer are expected to have the same value for "
                                     f"attribute `{attr}`, got `{fv}` for forward layer and `{bv}` for backward "
                                     "layer")
        # the wrapped original is only a template: keep it out of the tracked sub-layers
        self._layers[:] = [x for x in self._layers if x is not layer]
        for lyr in (self.forward_layer, self.backward_layer):  # as Keras: masked steps output zeros
            if hasattr(lyr, "zero_output_for_mask"):
                lyr.zero_output_for_mask = bool(layer.return_sequences)
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = getattr(layer, "stateful", False)
        self.supports_masking = True
        self._initial_weights = weights

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        shape = tuple(sequences_shape)
        for lyr in (self.forward_layer, self.backward_layer):
            if not lyr.built:
                lyr.build(shape)
                lyr.built = True
                lyr._build_shapes = shape
        self.built = True

    def _merge(self, y: Tensor, y_rev: Tensor) -> Any:
        if self.merge_mode == "concat":
            return ops.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return ops.add(y, y_rev)
        if self.merge_mode == "ave":
            return ops.multiply(ops.add(y, y_rev), 0.5)
        if self.merge_mode == "mul":
            return ops.multiply(y, y_rev)
        return [y, y_rev]

    def call(self, sequences: Any, initial_state: Any = None, mask: Any = None, training: Any = None) -> Any:
        fw_state = bw_state = None
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) % 2:
                raise ValueError(f"Layer '{self.name}': when passing `initial_state` to a Bidirectional RNN, the "
                                 f"state should be a list containing the states of the underlying RNNs (forward "
                                 f"then backward). Received {len(states)} state tensor(s).")
            half = len(states) // 2
            fw_state, bw_state = states[:half], states[half:]
        kw = {"training": training}
        if mask is not None:
            kw["mask"] = mask
        y = self.forward_layer(sequences, initial_state=fw_state, **kw)
        y_rev = self.backward_layer(sequences, initial_state=bw_state, **kw)
        states: List[Tensor] = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, 1)  # back to the input's time order
        out = self._merge(y, y_rev)
        if self.return_state:
            return (*out, *states) if isinstance(out, list) else (out, *states)
        return out

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if isinstance(previous_mask, (list, tuple)):
            previous_mask = previous_mask[0]
        out = previous_mask if self.return_sequences else None
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            n = len(self.forward_layer.state_size) * 2 if hasattr(self.forward_layer, "state_size") else 0
            return outs + [None] * n
        return outs if self.merge_mode is None else out

    def reset_states(self) -> None:
        for lyr in (self.forward_layer, self.backward_layer):
            if hasattr(lyr, "reset_states"):
                lyr.reset_states()

    reset_state = reset_states

    def get_config(self) -> Dict[str, Any]:
        cfg = Layer.get_config(self)
        cfg["merge_mode"] = self.merge_mode
        cfg["layer"] = serialize_layer(self.forward_layer)
        cfg["backward_layer"] = serialize_layer(self.backward_layer)
        return cfg

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Any = None) -> "Bidirectional":
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_layer(config["backward_layer"], custom_objects)
        layer = Layer.from_config.__func__(cls, config)
        return layer
