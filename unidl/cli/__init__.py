"""The ``unidl`` command: a small dispatcher (:mod:`unidl.cli.main`) and one module per subcommand."""
