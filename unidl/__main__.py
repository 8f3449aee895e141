"""``python -m unidl``: the same as the ``unidl`` command."""
import sys

from unidl.cli.main import main

sys.exit(main())
