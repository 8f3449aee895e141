"""``keras.distribution`` (Keras 3): devices are the MPI ranks of ``unidl launch -n N``; ``DataParallel``
replicates the model and splits batches over them (see :mod:`.data_parallel`)."""
from .distribution_lib import (DataParallel, DeviceMesh, Distribution, LayoutMap, ModelParallel, TensorLayout,
                               distribute_tensor, distribution, get_device_count, initialize, list_devices,
                               set_distribution)

__all__ = ["DataParallel", "DeviceMesh", "Distribution", "LayoutMap", "ModelParallel", "TensorLayout",
           "distribute_tensor", "distribution", "get_device_count", "initialize", "list_devices", "set_distribution"]
