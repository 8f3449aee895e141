"""Run each framework's own unit tests against unidl's faces (see runner.py and suites.py)."""
from .runner import RunnerError, compare, format_table, load_baseline, record_baseline, run_suite, total_ratio
from .suites import SUITES, Suite

__all__ = ["RunnerError", "SUITES", "Suite", "compare", "format_table", "load_baseline", "record_baseline",
           "run_suite", "total_ratio"]
