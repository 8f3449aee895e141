"""Reference goldens from the real frameworks (Keras 3.15 on torch, MXNet 1.9.1) and their checks.

``make_goldens.py`` writes ``<framework>_<case>.npz`` + ``.json`` from the real framework; ``check.py``
(``check_golden(key)``) rebuilds each case with ``unidl_keras`` / ``unidl_mxnet`` and compares forward
output, gradients and trained weights within the tolerances stated in the JSON.
"""
