"""How the Estimator runs one batch: split over contexts, forward (recorded when training), loss, backward."""
from __future__ import annotations

from typing import Any, List, Tuple

from .... import autograd
from ...utils import split_and_load

__all__ = ["BatchProcessor"]

Batch = Tuple[List[Any], List[Any], List[Any], List[Any]]  # (data, label, pred, loss), one entry per context


class BatchProcessor:
    """The default per-batch step; subclass and override ``fit_batch``/``evaluate_batch`` to customise."""

    def _get_data_and_label(self, batch: Any, ctx: List[Any], batch_axis: int = 0) -> Tuple[List[Any], List[Any]]:
        data = split_and_load(batch[0], ctx_list=ctx, batch_axis=batch_axis)
        label = split_and_load(batch[1], ctx_list=ctx, batch_axis=batch_axis)
        return data, label

    def evaluate_batch(self, estimator: Any, val_batch: Any, batch_axis: int = 0) -> Batch:
        """Forward ``val_batch`` through ``estimator.val_net`` and ``val_loss`` (nothing recorded)."""
        data, label = self._get_data_and_label(val_batch, estimator.context, batch_axis)
        pred = [estimator.val_net(x) for x in data]
        loss = [estimator.val_loss(p, y) for p, y in zip(pred, label)]
        return data, label, pred, loss

    def fit_batch(self, estimator: Any, train_batch: Any, batch_axis: int = 0) -> Batch:
        """Forward ``train_batch`` under ``autograd.record()`` and backpropagate each context's loss."""
        data, label = self._get_data_and_label(train_batch, estimator.context, batch_axis)
        with autograd.record():
            pred = [estimator.net(x) for x in data]
            loss = [estimator.loss(p, y) for p, y in zip(pred, label)]
        for value in loss:
            value.backward()
        return data, label, pred, loss
