"""Helper-only shim: NumPy 2 removed the ``np.NaN``/``np.Inf`` aliases that MXNet 1.9.1's tests write
(the baseline ran on NumPy 1.23.5, unidl runs on NumPy 2). Restores the two spellings on the host NumPy
module for the test process; nothing in unidl reads them."""
import numpy

for _alias, _value in (("NaN", numpy.nan), ("Inf", numpy.inf)):
    if not hasattr(numpy, _alias):
        setattr(numpy, _alias, _value)
