"""``horovod.tensorflow`` on unidl: only what Keras scripts use (``horovod.tensorflow.keras``, plus ``init``,
``rank``, ``size``, ``local_rank``, ``local_size``, ``allreduce``, ``allgather``, ``broadcast``)."""
from __future__ import annotations

from ... import horovod as keras  # noqa: F401 - horovod.tensorflow.keras
from ...horovod import (Average, Compression, Sum, allgather, allreduce, broadcast, init, is_initialized,  # noqa: F401
                       local_rank, local_size, rank, shutdown, size)
