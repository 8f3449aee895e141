"""Helper-only shim for the retired ``nose`` package, used by MXNet 1.9.1's unit tests.

nose 1.3.7 does not import on Python 3.10+. The upstream tests only use ``nose.tools`` helpers and
call ``nose.runmodule()`` under ``if __name__ == '__main__'``; pytest runs the tests itself.
"""
from . import tools  # noqa: F401


class SkipTest(Exception):
    """Raised to skip a test (pytest reports it as skipped through unittest's SkipTest)."""


try:  # pytest understands unittest.SkipTest; make ours that class when available
    import unittest as _unittest
    SkipTest = _unittest.SkipTest  # noqa: F811
except ImportError:  # pragma: no cover
    pass


def runmodule(*args, **kwargs):
    """Not used under the runner (pytest collects the module); refuse loudly if called."""
    raise RuntimeError("nose.runmodule is not available under the upstream runner; run through pytest")
