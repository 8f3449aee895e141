"""pytest plugin putting unidl's Keras face under the name ``keras`` before any test module imports."""
import unidl

unidl.install_aliases(["keras"])
