"""Kernel tier: every op kernel of the device under test against the NumPy reference (``unidl_cpu``).

Forward outputs are compared per op with the tolerance from ``unidl.testing.cases.TOLERANCES``;
for differentiable ops the op's backward on the device is compared with the backward on the
reference, and the reference's gradient is checked against float64 finite differences.
"""
