"""``tf.distribute`` for Keras 2 scripts (under the ``tensorflow`` stand-in): ``MirroredStrategy`` and
``MultiWorkerMirroredStrategy`` over unidl's MPI ranks.

A model compiled inside ``strategy.scope()`` trains data-parallel in ``fit`` (see
:mod:`unidl_keras.distribution.data_parallel`): the ``batch_size`` given to ``fit`` is the global batch, split
evenly across ``num_replicas_in_sync`` replicas (the ranks of ``unidl launch -n N``; 1 without a launcher), and
gradients are averaged across them, as TensorFlow's strategies do.
"""
from __future__ import annotations

from typing import Any, List, Optional

_OPEN_SCOPES: List["Strategy"] = []


class _StrategyScope:
    def __init__(self, strategy: "Strategy") -> None:
        self.strategy = strategy

    def __enter__(self) -> "Strategy":
        _OPEN_SCOPES.append(self.strategy)
        return self.strategy

    def __exit__(self, *exc: Any) -> None:
        _OPEN_SCOPES.remove(self.strategy)


class Strategy:
    """The base of the strategies: ``scope()``, ``num_replicas_in_sync``, dataset pass-through."""

    def __init__(self, devices: Optional[List[str]] = None, **kwargs: Any) -> None:
        from .distribution.data_parallel import world

        self._rank, self._size = world()
        if devices is not None and len(devices) not in (1, self._size):
            raise ValueError(f"{type(self).__name__}: {len(devices)} devices were named, but unidl runs one replica "
                             f"per rank and {self._size} rank(s) were launched (unidl launch -n {len(devices)} "
                             "script.py)")

    def scope(self) -> _StrategyScope:
        """Models compiled inside train data-parallel across the replicas."""
        return _StrategyScope(self)

    @property
    def num_replicas_in_sync(self) -> int:
        return self._size

    @property
    def cluster_resolver(self) -> Any:
        return None

    def experimental_distribute_dataset(self, dataset: Any, options: Any = None) -> Any:
        """The dataset as it is: ``fit`` splits each global batch across the replicas."""
        return dataset

    distribute_datasets_from_function = None  # per-replica input functions need tf.data: not available

    def __repr__(self) -> str:
        return f"<{type(self).__name__} replicas={self._size}>"


class MirroredStrategy(Strategy):
    """Synchronous data parallelism on the launched ranks (TensorFlow's one-machine strategy)."""


class MultiWorkerMirroredStrategy(Strategy):
    """Synchronous data parallelism across machines: the ranks of ``unidl launch --hostfile``."""

    def __init__(self, cluster_resolver: Any = None, communication_options: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)


class OneDeviceStrategy(Strategy):
    """One replica on one device."""

    def __init__(self, device: str = "/cpu:0", **kwargs: Any) -> None:
        super().__init__()
        self._size = 1


def get_strategy() -> Strategy:
    """The strategy whose scope is open, or the default (one replica)."""
    return _OPEN_SCOPES[-1] if _OPEN_SCOPES else OneDeviceStrategy()


def has_strategy() -> bool:
    """Whether a strategy scope is open."""
    return bool(_OPEN_SCOPES)


experimental = type("experimental", (), {"MultiWorkerMirroredStrategy": MultiWorkerMirroredStrategy})
