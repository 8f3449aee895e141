"""``keras.distribution``: Keras 3's device mesh, layouts and the DataParallel distribution.

unidl's devices for distribution are its MPI ranks (``unidl launch -n N``): ``list_devices()`` names one
device per rank, and ``DataParallel`` trains with :mod:`.data_parallel`. ``ModelParallel`` (sharding
variables across devices) is not available and says so.
"""
from __future__ import annotations

import collections.abc
import math
from typing import Any, Dict, Iterator, List, Optional, Sequence

import numpy as np

DEFAULT_BATCH_DIM_NAME = "batch"

_CURRENT: List[Any] = [None]


def _world() -> tuple:
    from .data_parallel import world

    return world()


def _device_type() -> str:
    import unidl

    return "gpu" if "cuda" in str(unidl.default_device()) else "cpu"


def list_devices(device_type: Optional[str] = None) -> List[str]:
    """One device per rank, ``"cpu:0"``, ``"cpu:1"``, ... (``"gpu:i"`` with the cuda plugin)."""
    _, size = _world()
    kind = (device_type or _device_type()).lower()
    if kind not in ("cpu", "gpu", "tpu"):
        raise ValueError(f"Unknown device_type: {device_type!r}. Expected 'cpu', 'gpu' or 'tpu'.")
    if kind == "tpu":
        raise ValueError("unidl has no TPU devices")
    return [f"{kind}:{i}" for i in range(size)]


def get_device_count(device_type: Optional[str] = None) -> int:
    """How many devices :func:`list_devices` names."""
    return len(list_devices(device_type))


def initialize(job_addresses: Optional[str] = None, num_processes: Optional[int] = None,
               process_id: Optional[int] = None) -> None:
    """Join the multi-process job: unidl's processes come from the MPI launcher, so the arguments, when given,
    are checked against it."""
    rank, size = _world()
    if num_processes is not None and int(num_processes) != size:
        raise ValueError(f"keras.distribution.initialize: num_processes={num_processes}, but the launcher started "
                         f"{size} process(es) (unidl launch -n N)")
    if process_id is not None and int(process_id) != rank:
        raise ValueError(f"keras.distribution.initialize: process_id={process_id}, but this process is rank {rank}")


class DeviceMesh:
    """Devices arranged in a named grid (Keras 3 / ``jax.sharding.Mesh``).

    Args:
        shape: the mesh shape, e.g. ``(2,)``. axis_names: one name per axis.
        devices: the devices (default :func:`list_devices`).
    """

    def __init__(self, shape: Sequence[int], axis_names: Sequence[str], devices: Any = None) -> None:
        if not shape or not axis_names:
            raise ValueError(f"Shape and axis_names cannot be empty. Received: shape={shape}, axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError(f"Shape and axis_names should have same size. Received: shape={shape}, "
                             f"axis_names={axis_names}")
        devices = np.array(list_devices() if devices is None else devices)
        if math.prod(shape) != math.prod(devices.shape):
            raise ValueError(f"Shape does not match the number of devices. Received: shape={shape}; "
                             f"devices.shape={devices.shape}")
        self._shape, self._axis_names = tuple(shape), list(axis_names)
        self._devices = np.reshape(devices, shape)

    shape = property(lambda self: self._shape)
    axis_names = property(lambda self: self._axis_names)
    devices = property(lambda self: self._devices)

    def __repr__(self) -> str:
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How a tensor is laid out over a mesh: one mesh axis name (or None) per tensor dimension."""

    def __init__(self, axes: Sequence[Optional[str]], device_mesh: Optional[DeviceMesh] = None) -> None:
        self._axes = tuple(axes)
        self._device_mesh = None
        if device_mesh is not None:
            self.device_mesh = device_mesh

    axes = property(lambda self: self._axes)

    @property
    def device_mesh(self) -> Optional[DeviceMesh]:
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, mesh: DeviceMesh) -> None:
        if self._device_mesh is not None:
            raise ValueError("Cannot override device mesh value. Existing value is "
                             f"{self._device_mesh}")
        valid = set(mesh.axis_names)
        axes = set(self._axes) - {None}
        if axes - valid:
            raise ValueError(f"Invalid axis names for Layout. Valid axis names: {valid}, Got {axes}")
        self._device_mesh = mesh

    def __repr__(self) -> str:
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


class Distribution:
    """Base class of distributions (Keras 3). ``scope()`` makes it current for a ``with`` block."""

    def __init__(self, device_mesh: DeviceMesh, batch_dim_name: Optional[str] = None,
                 auto_shard_dataset: bool = True) -> None:
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = bool(auto_shard_dataset)
        rank, size = _world()
        self._num_processes, self._process_id = size, rank
        self._is_multi_process = size > 1

    device_mesh = property(lambda self: self._device_mesh)
    batch_dim_name = property(lambda self: self._batch_dim_name)
    num_processes = property(lambda self: self._num_processes)
    process_id = property(lambda self: self._process_id)

    @property
    def auto_shard_dataset(self) -> bool:
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value: bool) -> None:
        self._auto_shard_dataset = bool(value)

    def get_data_layout(self, data_shape: Sequence[int]) -> TensorLayout:
        axes = [None] * len(data_shape)
        if axes:
            axes[0] = self._batch_dim_name
        return TensorLayout(axes, self._device_mesh)

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        return TensorLayout([None] * len(variable.shape), self._device_mesh)

    def get_tensor_layout(self, path: str) -> Optional[TensorLayout]:
        return None

    def scope(self) -> "_Scope":
        return _Scope(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} device_mesh={self._device_mesh}>"


class _Scope:
    def __init__(self, dist: Distribution) -> None:
        self.dist, self.prev = dist, None

    def __enter__(self) -> Distribution:
        self.prev = _CURRENT[0]
        _CURRENT[0] = self.dist
        return self.dist

    def __exit__(self, *exc: Any) -> None:
        _CURRENT[0] = self.prev


class DataParallel(Distribution):
    """Replicate the model on every device and split each batch across them (one device per rank).

    Args:
        device_mesh: a 1-D mesh (the first axis is used when it has more). devices: a device list.
        auto_shard_dataset: split each global batch across the processes (False: each process's data is
            already its own shard).
    """

    def __init__(self, device_mesh: Optional[DeviceMesh] = None, devices: Any = None,
                 auto_shard_dataset: bool = True) -> None:
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(f"Expect `mesh` to be an instance of `DeviceMesh`. Received: mesh={device_mesh} "
                                 f"(of type {type(device_mesh)})")
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
            return
        devices = np.array(list_devices() if not devices else devices)
        mesh = DeviceMesh(shape=devices.shape, axis_names=[DEFAULT_BATCH_DIM_NAME], devices=devices)
        super().__init__(mesh, DEFAULT_BATCH_DIM_NAME, auto_shard_dataset)

    @property
    def num_model_replicas(self) -> int:
        return int(self.device_mesh.devices.size)


class ModelParallel(Distribution):
    """Sharding variables across devices: not available on unidl (each rank holds the whole model)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("keras.distribution.ModelParallel is not supported by unidl: its data parallelism "
                                  "replicates the whole model on every rank (use DataParallel)")


class LayoutMap(collections.abc.MutableMapping):
    """Variable-path regex -> :class:`TensorLayout` (kept for ModelParallel configurations)."""

    def __init__(self, device_mesh: DeviceMesh) -> None:
        self._layout_map: Dict[str, Any] = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key: str) -> Any:
        import re

        if key in self._layout_map:
            return self._layout_map[key]
        matches = [k for k in self._layout_map if re.search(k, key)]
        if len(matches) > 1:
            raise ValueError(f"Path '{key}' matches multiple layout specification keys: {matches}. Please make "
                             "sure each tensor/variable path only matches at most one layout specification key "
                             "in the LayoutMap.")
        return self._layout_map[matches[0]] if matches else None

    def __setitem__(self, key: str, layout: Any) -> None:
        if key in self._layout_map:
            raise ValueError(f"{key} already exist in the LayoutMap with value {self._layout_map[key]}. Please "
                             "make sure to not use duplicated keys.")
        if isinstance(layout, tuple):
            layout = TensorLayout(axes=layout, device_mesh=None)
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"{layout} should be a TensorLayout type, got {type(layout)}")
        if layout.device_mesh is None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key: str) -> None:
        del self._layout_map[key]

    def __len__(self) -> int:
        return len(self._layout_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout_map)

    device_mesh = property(lambda self: self._device_mesh)


def distribute_tensor(tensor: Any, layout: Any) -> Any:
    """Every rank holds the whole tensor: returned as it is."""
    return tensor


def distribution() -> Optional[Distribution]:
    """The current distribution (``set_distribution`` or an open ``scope()``), or None."""
    return _CURRENT[0]


def set_distribution(value: Optional[Distribution]) -> None:
    """Make ``value`` the global distribution (None: none)."""
    _CURRENT[0] = value
