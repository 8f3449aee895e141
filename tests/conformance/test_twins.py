"""Runs the twin zoo (unidl_conformance.twins) as part of the unit tests, on the CPU."""
from unidl_conformance.twins.test_twins import test_twin, twin_device  # noqa: F401  (collected by pytest)
