"""Hook specifications of the ``unidl`` plugin system (pluggy project name "unidl").

A plugin is a module (or object) with ``@unidl.hookimpl`` functions named like these specs, listed
under the ``unidl`` entry-point group of its distribution::

    [project.entry-points.unidl]
    myplugin = "my_package.unidl_plugin"

All hooks are *collector* hooks: they receive a registry and add to it. They run once, when unidl
first needs its plugins, never on the per-op path.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("unidl")


@hookspec
def unidl_register_devices(registry):
    """Register device types: ``registry.add(name, *, xp, is_available, device_count, to_host,
    from_host, synchronize, capabilities, unavailable_reason)``.

    Called before :func:`unidl_register_kernels`, so kernels can name the device types.
    """


@hookspec
def unidl_register_kernels(registry):
    """Register forward kernels: ``registry.add(op, device, fn, *, priority=0, dtypes=None)``.

    ``op`` must be a core op name (``unidl.kernels.OPS``). The highest priority wins per
    (op, device); equal priorities from two plugins are a conflict and the later plugin fails.
    """


@hookspec
def unidl_register_frontends(registry):
    """Register a frontend: ``registry.add(name, *, package, provides, framework_version, inventory)``.

    ``provides`` lists the module names the frontend stands in for (``keras``, ``mxnet``, ...), used
    by ``unidl run``; ``inventory()`` returns the public API names it implements, for ``unidl port``.
    """


@hookspec
def unidl_conformance_cases(registry):
    """Contribute conformance cases (op cases, model twins, goldens): ``registry.add(case)``."""


@hookspec(historic=True)
def unidl_configure(config):
    """Called once after every plugin has loaded, with the runtime configuration mapping."""


@hookspec
def unidl_plugin_failed(name, phase, error):
    """Notification that plugin ``name`` failed during ``phase`` ('import', 'devices', 'kernels', ...)."""
