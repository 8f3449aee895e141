"""Shared neural-net math, written once and framework-neutral: initializers (``init``), losses
(``losses``), optimizer update rules and schedules (``optim``), and layer functions (``functional``).
Frontends add only their framework's API semantics on top.
"""
