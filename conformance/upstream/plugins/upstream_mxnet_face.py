"""pytest plugin putting unidl's MXNet face under the name ``mxnet`` before any test module imports."""
import unidl
import upstream_numpy2_compat  # noqa: F401  (helper-only, listed in suites.MXNET.shims)

unidl.install_aliases(["mxnet"])
