"""``keras.utils.Progbar``: the progress bar ``fit``/``evaluate``/``predict`` print.

Output follows Keras 3. On a terminal (or in Jupyter) the bar is redrawn in place (``\\b``/``\\r``) with
ANSI bold step counts and a green/grey bar::

    3/3 ━━━━━━━━━━━━━━━━━━━━ 0s 5ms/step - accuracy: 0.5000 - loss: 0.6903

When stdout is not a terminal (a pipe or a log file), only the final line of each bar is written,
without ANSI codes, so logs stay readable. ``verbose=2`` writes one summary line per bar:
``3/3 - 0s - 5ms/step - loss: 0.6903``.
"""
from __future__ import annotations

import math
import os
import sys
import time
from typing import Any, Iterable, List, Optional, Sequence, Tuple

import numpy as np

_BOLD, _GREEN, _GREY, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"
_BAR_CHAR = "\u2501"  # '━'


def _stdout_is_dynamic() -> bool:
    """Whether stdout can redraw a line: a terminal, Jupyter, or PyCharm's console."""
    out = sys.stdout
    return bool((hasattr(out, "isatty") and out.isatty()) or "ipykernel" in sys.modules
                or "PYCHARM_HOSTED" in os.environ)


def print_msg(message: str, line_break: bool = True) -> None:
    """Write ``message`` to stdout and flush (the bar character falls back to '=' for non-UTF-8 streams)."""
    message = f"{message}\n" if line_break else message
    try:
        sys.stdout.write(message)
    except UnicodeEncodeError:
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        sys.stdout.write(message.replace(_BAR_CHAR, "=").encode(encoding, errors="ignore").decode(encoding))
    sys.stdout.flush()


def format_time(time_per_unit: float, unit_name: str) -> str:
    """`` 3ms/step``, `` 2s/step``, `` 450us/step`` (leading space included, as Keras)."""
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1000.0:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1000000.0:.0f}us/{unit_name}"


def format_eta(eta: float) -> str:
    """``h:mm:ss`` above an hour, ``m:ss`` above a minute, else ``Ns``."""
    if eta > 3600:
        return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
    if eta > 60:
        return "%d:%02d" % (eta // 60, eta % 60)
    return "%ds" % eta


class Progbar:
    """A progress bar.

    Args:
        target: the total number of steps, or None if unknown.
        width: the bar width in characters.
        verbose: 0 silent, 1 the bar, 2 one line when finished.
        interval: the minimum time in seconds between two redraws (verbose=1).
        stateful_metrics: names whose values are shown as given; all others are averaged over the
            steps seen (weighted by the steps each update covers).
        stateless_metrics: alternatively, the names to average (all others shown as given). At most
            one of the two may be given.
        unit_name: the step unit (``'step'`` or ``'sample'``).
    """

    _clock = staticmethod(time.time)

    def __init__(self, target: Optional[int], width: int = 20, verbose: int = 1, interval: float = 0.05,
                 stateful_metrics: Optional[Iterable[str]] = None, stateless_metrics: Optional[Iterable[str]] = None,
                 unit_name: str = "step") -> None:
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Only one of `stateful_metrics` or `stateless_metrics` can be provided. "
                             "`stateful_metrics` is used to make metrics stateless by default (with an exclusion "
                             "list), while `stateless_metrics` is used to make metrics stateful by default (with "
                             "an exclusion list).")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics is not None else (
            None if stateless_metrics is not None else set())
        self.stateless_metrics = set(stateless_metrics) if stateless_metrics is not None else None
        self._dynamic_display = _stdout_is_dynamic()
        self._seen_so_far = 0
        self._values: dict = {}
        self._values_order: List[str] = []
        self._start = self._clock()
        self._last_update = 0.0
        self._time_after_first_step: Optional[float] = None
        self._prev_total_width = 0

    # -- bookkeeping ---------------------------------------------------------------------------------
    def _is_averaged(self, name: str) -> bool:
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def _record(self, current: int, values: Sequence[Tuple[str, Any]], finalize: bool) -> None:
        for k, v in values:
            if k not in self._values_order:
                self._values_order.append(k)
            if self._is_averaged(k) and not finalize:
                weight = max(current - self._seen_so_far, 1)
                if k not in self._values:
                    self._values[k] = [v * weight, weight]
                else:
                    self._values[k][0] += v * weight
                    self._values[k][1] += weight
            else:  # shown as given (a final value is already the epoch's value)
                self._values[k] = [v, 1]
        self._seen_so_far = current

    def _step_duration(self, current: int, now: float) -> float:
        """Seconds per step; the first step (often slow: warm-up) is left out once later steps exist."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per = (now - self._time_after_first_step) / (current - 1)
        else:
            per = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per

    def _value_text(self, name: str, signed: bool = True) -> str:
        value = self._values[name]
        if not isinstance(value, list):
            return f" {value}"
        total, count = value
        if not isinstance(total, float):
            total = np.mean(total)
        avg = total / max(1, count)
        big = abs(avg) > 1e-3 if signed else avg > 1e-3  # Keras's verbose=2 line compares without abs
        return f" {avg:.4f}" if big else f" {avg:.4e}"

    # -- drawing -------------------------------------------------------------------------------------
    def _bar(self, current: int, ansi: bool) -> Tuple[str, int]:
        """The counter and bar, and how many of its characters are ANSI codes."""
        if self.target is None or self.target <= 0:
            return "%7d/Unknown" % current, 0
        digits = int(math.log10(self.target)) + 1
        count = f"%{digits}d/%d" % (current, self.target)
        done = int(self.width * (float(current) / self.target))
        if not ansi:
            return f"{count} {_BAR_CHAR * done}{_BAR_CHAR * (self.width - done)}", 0
        bar = f"{_BOLD}{count}{_RESET} "
        special = 8
        if done > 0:
            bar += f"{_GREEN}{_BAR_CHAR * done}{_RESET}"
            special += 9
        bar += f"{_GREY}{_BAR_CHAR * (self.width - done)}{_RESET}"
        return bar, special + 9

    def _line(self, current: int, now: float, per_step: float, finalize: bool, ansi: bool) -> Tuple[str, int]:
        bar, special = self._bar(current, ansi)
        if self.target is not None and self.target > 0 and not finalize:
            when = format_eta(per_step * (self.target - current))
        else:
            when = f"{now - self._start:.0f}s"
        info = f" {_BOLD}{when}{_RESET}" if ansi else f" {when}"
        special += 8 if ansi else 0
        info += format_time(per_step, self.unit_name)
        for k in self._values_order:
            info += f" - {k}:" + self._value_text(k)
        return bar + info, len(bar) + len(info) - special

    def update(self, current: int, values: Optional[Sequence[Tuple[str, Any]]] = None,
               finalize: Optional[bool] = None) -> None:
        """Move the bar to step ``current`` with ``values`` = ``[(name, value_for_this_step), ...]``.

        ``finalize`` (default: ``current >= target``) marks the last update of the bar.
        """
        if finalize is None:
            finalize = False if self.target is None else current >= self.target
        self._update(current, values, finalize, None)

    def _shows_values_now(self, now: float) -> bool:
        """Whether a non-final update at time ``now`` reads its values: when some are averaged (every step
        counts), on the bar's first update (it fixes the order of the names), or when it redraws."""
        if self.stateful_metrics is not None or self.stateless_metrics or not self._values_order:
            return True
        return (self.verbose == 1 and self._dynamic_display and now - self._last_update >= self.interval)

    def _update_lazy(self, current: int, values_fn: Any) -> None:
        """``update(current, values_fn(), finalize=False)``, calling ``values_fn`` only when the values can
        change what is (or will be) printed: with nothing averaged, a value shows only if the bar redraws
        now (``ProgbarLogger`` passes logs this way, so ``fit`` need not read its metrics every batch)."""
        now = self._clock()
        self._update(current, values_fn() if self._shows_values_now(now) else None, False, now)

    def _update(self, current: int, values: Optional[Sequence[Tuple[str, Any]]], finalize: bool,
                now: Optional[float]) -> None:
        self._record(current, list(values or []), finalize)
        if now is None:
            now = self._clock()
        per_step = self._step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            if self._dynamic_display:
                line, width = self._line(current, now, per_step, finalize, ansi=True)
                message = "\b" * self._prev_total_width + "\r" + line
                if self._prev_total_width > width:
                    message += " " * (self._prev_total_width - width)
                if finalize:
                    message += "\n"
                print_msg(message, line_break=False)
                self._prev_total_width = width
            elif finalize:
                line, _ = self._line(current, now, per_step, finalize, ansi=False)
                print_msg(line)
        elif self.verbose == 2 and finalize and self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            info = f"%{digits}d/%d" % (current, self.target) + f" - {now - self._start:.0f}s"
            info += " -" + format_time(per_step, self.unit_name)
            for k in self._values_order:
                info += f" - {k}:" + self._value_text(k, signed=False)
            print_msg(info)
        self._last_update = now

    def add(self, n: int, values: Optional[Sequence[Tuple[str, Any]]] = None) -> None:
        """Advance by ``n`` steps."""
        self.update(self._seen_so_far + n, values)
