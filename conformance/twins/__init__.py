"""Twin models: each model written once with the Keras frontend and once with the Gluon frontend,
with a weight mapping between them, checked for bitwise-identical results (see harness.py).

``mapping`` (``keras_to_gluon``, ``gluon_to_keras``) imports only the two frontends; ``zoo`` lists
the cases; ``exceptions`` lists every non-bitwise result with its reason and bound.
"""
from .mapping import MappingError, gluon_to_keras, keras_to_gluon

__all__ = ["MappingError", "keras_to_gluon", "gluon_to_keras"]
