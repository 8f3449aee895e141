"""``keras.config``: global settings (float type, epsilon, image data format, backend name, safe
deserialization, global dtype policy, interactive logging, flash attention)."""
from __future__ import annotations

from .backend.config import (backend, disable_flash_attention, enable_flash_attention, epsilon, floatx,
                             image_data_format, is_flash_attention_enabled, set_epsilon, set_floatx,
                             set_image_data_format)
from .backend.config import max_epochs, max_steps_per_epoch, set_max_epochs, set_max_steps_per_epoch
from .dtype_policies.dtype_policy import dtype_policy, set_dtype_policy
from .saving.safe_mode import enable_unsafe_deserialization
from .utils.io_utils import disable_interactive_logging, enable_interactive_logging, is_interactive_logging_enabled

__all__ = ["floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format", "set_image_data_format",
           "backend", "enable_unsafe_deserialization", "disable_interactive_logging", "enable_interactive_logging",
           "is_interactive_logging_enabled", "enable_flash_attention", "disable_flash_attention",
           "is_flash_attention_enabled", "dtype_policy", "set_dtype_policy", "max_epochs", "set_max_epochs",
           "max_steps_per_epoch", "set_max_steps_per_epoch"]
