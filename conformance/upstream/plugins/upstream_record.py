"""pytest plugin recording each upstream test's outcome to JSON, with a per-test time limit.

Standalone on purpose: the same file runs under the real framework's scratch venv (to record the
baseline) and under unidl (to record the face's results), so it imports nothing from unidl.

Environment:
    UNIDL_UPSTREAM_RECORD   path of the JSON file to write ({nodeid: {"outcome", "seconds", "message"}})
    UNIDL_UPSTREAM_TIMEOUT  seconds one test may run before it is failed as "timeout" (default 120)
"""
import json
import os
import signal
import time

import pytest


class UpstreamTimeout(BaseException):
    """Raised inside a test that ran past its limit (BaseException so test code cannot swallow it)."""


_RESULTS = {}
_LIMIT = float(os.environ.get("UNIDL_UPSTREAM_TIMEOUT", "120"))


def _on_alarm(signum, frame):
    raise UpstreamTimeout("test ran past %.0f s" % _LIMIT)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    use_alarm = hasattr(signal, "SIGALRM") and _LIMIT > 0
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, _LIMIT)
    try:
        return (yield)
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _message(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message).splitlines()[0][:300] if crash.message else ""
    if isinstance(report.longrepr, tuple):  # skips: (path, line, reason)
        return str(report.longrepr[-1])[:300]
    return str(report.longrepr).strip().splitlines()[-1][:300] if report.longrepr else ""


def pytest_runtest_logreport(report):
    entry = _RESULTS.setdefault(report.nodeid, {"outcome": "passed", "seconds": 0.0, "message": ""})
    entry["seconds"] = round(entry["seconds"] + float(getattr(report, "duration", 0.0)), 3)
    if report.outcome == "passed":
        return
    if entry["outcome"] != "passed":  # keep the first problem (setup error beats teardown noise)
        return
    if report.skipped:
        entry["outcome"] = "skipped"
    elif report.when == "call":
        entry["outcome"] = "timeout" if "UpstreamTimeout" in str(report.longrepr) else "failed"
    else:
        entry["outcome"] = "error"
    entry["message"] = _message(report)


def pytest_collectreport(report):
    if report.failed:
        _RESULTS[report.nodeid or "<collection>"] = {"outcome": "collect-error", "seconds": 0.0,
                                                     "message": _message(report)}


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("UNIDL_UPSTREAM_RECORD")
    if not path:
        return
    tmp = path + ".part"
    with open(tmp, "w") as fh:
        json.dump({"results": _RESULTS, "exitstatus": int(exitstatus), "finished": time.time()}, fh,
                  indent=1, sort_keys=True)
    os.replace(tmp, path)
