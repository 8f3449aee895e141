"""``keras.quantizers.AWQConfig``: the settings of AWQ (activation-aware 4-bit) quantization."""
from __future__ import annotations

from typing import Any, Dict

from .quantization_config import QuantizationConfig


class AWQConfig(QuantizationConfig):
    """AWQ settings: 4-bit weights, ``group_size`` (-1: per channel), the grid of scale search points and
    the calibration ``dataset``/``tokenizer``. As for GPTQ, layers get the AWQ variables; the
    calibration pass itself is not provided by unidl's Keras face."""

    def __init__(self, dataset: Any, tokenizer: Any, *, weight_bits: int = 4, num_samples: int = 128,
                 sequence_length: int = 512, group_size: int = 128, num_grid_points: int = 20,
                 quantization_layer_structure: Any = None) -> None:
        super().__init__()
        if weight_bits != 4:
            raise ValueError(f"AWQ only supports 4-bit quantization. Received weight_bits={weight_bits}.")
        if num_samples <= 0:
            raise ValueError("num_samples must be a positive integer.")
        if sequence_length <= 0:
            raise ValueError("sequence_length must be a positive integer.")
        if group_size < -1 or group_size == 0:
            raise ValueError("Invalid group_size. Supported values are -1 (per-channel) or a positive integer, "
                             f"but got {group_size}.")
        if num_grid_points <= 0:
            raise ValueError("num_grid_points must be a positive integer.")
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.sequence_length = sequence_length
        self.group_size = group_size
        self.num_grid_points = num_grid_points
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self) -> str:
        return "awq"

    def dtype_policy_string(self) -> str:
        """The policy mode string, ``"awq/<weight_bits>/<group_size>"``."""
        return f"awq/{self.weight_bits}/{self.group_size}"

    def get_config(self) -> Dict[str, Any]:
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "sequence_length": self.sequence_length,
                "group_size": self.group_size, "num_grid_points": self.num_grid_points,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "AWQConfig":
        return cls(**config)
