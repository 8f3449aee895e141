"""unidl_conformance: the suite that proves kernel plugins and the two frontends agree.

Run it against an installed plugin with ``unidl conform`` or
``pytest -p unidl_conformance.pytest_plugin --pyargs unidl_conformance``.
"""
