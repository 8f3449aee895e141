"""``nose.tools`` helpers: unittest's assertion methods under snake_case names, plus the decorators.

Helper-only: nothing here touches the code under test.
"""
import functools
import re
import time
import unittest

__all__ = ["ok_", "eq_", "raises", "make_decorator", "with_setup", "istest", "nottest", "timed",
           "TimeExpired"]


class _Asserter(unittest.TestCase):
    def runTest(self):  # pragma: no cover - never run
        pass


_ASSERTER = _Asserter()
_ASSERTER.maxDiff = None


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


for _name in dir(_ASSERTER):
    if _name.startswith("assert") and "_" not in _name:
        _snake_name = _snake(_name)
        globals()[_snake_name] = getattr(_ASSERTER, _name)
        __all__.append(_snake_name)


def ok_(expr, msg=None):
    """Fail unless ``expr`` is true."""
    if not expr:
        raise AssertionError(msg)


def eq_(a, b, msg=None):
    """Fail unless ``a == b``."""
    if not a == b:
        raise AssertionError(msg or "%r != %r" % (a, b))


def make_decorator(func):
    """Wrap a decorator so the decorated test keeps its name and attributes."""
    def decorate(newfunc):
        name = getattr(func, "compat_func_name", func.__name__)
        newfunc = functools.wraps(func)(newfunc)
        newfunc.__name__ = name
        return newfunc
    return decorate


def raises(*exceptions):
    """The decorated test passes only if it raises one of ``exceptions``."""
    names = " or ".join(e.__name__ for e in exceptions)

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                func(*args, **kwargs)
            except exceptions:
                return
            raise AssertionError("%s() did not raise %s" % (func.__name__, names))
        return wrapper
    return decorate


def with_setup(setup=None, teardown=None):
    """Run ``setup`` before and ``teardown`` after the decorated test."""
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if setup is not None:
                setup()
            try:
                return func(*args, **kwargs)
            finally:
                if teardown is not None:
                    teardown()
        return wrapper
    return decorate


def istest(func):
    func.__test__ = True
    return func


def nottest(func):
    func.__test__ = False
    return func


class TimeExpired(AssertionError):
    pass


def timed(limit):
    """The decorated test fails if it takes longer than ``limit`` seconds."""
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            start = time.time()
            result = func(*args, **kwargs)
            if time.time() - start > limit:
                raise TimeExpired("Time limit (%s) exceeded" % limit)
            return result
        return wrapper
    return decorate
