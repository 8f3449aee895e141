"""pytest plugin putting unidl's MXNet face under the name ``mxnet`` before any test module imports."""
import unidl

unidl.install_aliases(["mxnet"])
