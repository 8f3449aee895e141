"""The plugin system: entry-point loading with isolation, priorities, devices, and `unidl plugins`.

Plugins come from fake entry points (``unidl.plugins._entry_points`` is monkeypatched) pointing at
modules written to a temporary directory, so loading goes through a real ``import``. The ``fresh``
fixture snapshots every global registry and restores it afterwards, so the rest of the suite keeps
the real cpu plugin (and its Device objects, which tensors compare by identity).
"""
from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import types
from importlib import metadata
from typing import Callable, List

import numpy as np
import pytest
from hypothesis import given, settings

import unidl
from unidl import devices, kernels, plugins
from unidl.cli.main import main as cli_main
from unidl.testing import strategies as ust

FAKE_DIST = types.SimpleNamespace(metadata={"Name": "fake-dist"}, version="9.9")


class FakeEntryPoint:
    """Enough of ``importlib.metadata.EntryPoint`` for the loader: name, value, dist, load()."""

    group = "unidl"

    def __init__(self, name: str, value: str, dist=FAKE_DIST):
        self.name, self.value, self.dist = name, value, dist

    def load(self):
        mod, _, attr = self.value.partition(":")
        obj = importlib.import_module(mod)
        return getattr(obj, attr) if attr else obj


def _real_cpu_entry_point():
    plugins.ensure_loaded()
    return [ep for ep in plugins._entry_points() if ep.name == "cpu"][0]


CPU_EP = None


def _snapshot():
    plugins.ensure_loaded()
    return dict(
        kernels={k: list(v) for k, v in kernels.KERNELS.entries.items()},
        devices=dict(devices.DEVICES.types), records=dict(plugins.RECORDS),
        frontends=dict(plugins.FRONTENDS.frontends), cases=list(plugins.CASES.cases),
        owners=list(plugins.CASES.owners), instances=dict(devices._instances), default=list(devices._default),
        pm=plugins._pm, loaded=plugins._loaded, configured=plugins._configured)


def _restore(s):
    kernels.KERNELS.entries = s["kernels"]
    devices.DEVICES.types.clear()
    devices.DEVICES.types.update(s["devices"])
    plugins.RECORDS.clear()
    plugins.RECORDS.update(s["records"])
    plugins.FRONTENDS.frontends.clear()
    plugins.FRONTENDS.frontends.update(s["frontends"])
    plugins.CASES.cases[:] = s["cases"]
    plugins.CASES.owners[:] = s["owners"]
    devices._instances.clear()
    devices._instances.update(s["instances"])
    devices._default[:] = s["default"]
    plugins._pm, plugins._loaded, plugins._configured = s["pm"], s["loaded"], s["configured"]
    kernels.invalidate()


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """Load a chosen list of entry points into empty registries: ``fresh(ep, ...)``.

    ``fresh.module(name, source)`` writes an importable plugin module; ``fresh.ep(name, module)``
    makes an entry point; ``fresh.cpu`` is the real cpu plugin's entry point.
    """
    global CPU_EP
    if CPU_EP is None:
        CPU_EP = _real_cpu_entry_point()
    snap = _snapshot()
    for var in ("UNIDL_DISABLE_PLUGINS", "UNIDL_STRICT_PLUGINS", "UNIDL_DISABLE_PLUGIN_AUTOLOAD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    written: List[str] = []

    def load(*eps) -> None:
        monkeypatch.setattr(plugins, "_entry_points", lambda: list(eps))
        plugins.reset()
        plugins.ensure_loaded()

    def module(name: str, source: str) -> str:
        (tmp_path / f"{name}.py").write_text("import numpy as np\nimport unidl\n" + textwrap.dedent(source))
        written.append(name)
        return name

    load.module = module
    load.ep = lambda name, value=None: FakeEntryPoint(name, value or name)
    load.cpu = CPU_EP
    importlib.invalidate_caches()
    try:
        yield load
    finally:
        _restore(snap)
        for name in written:
            sys.modules.pop(name, None)


def _rec(name: str) -> plugins.PluginRecord:
    return plugins.RECORDS[name]


def _f32(*shape):
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


# -- (1) a good plugin ------------------------------------------------------------------------------

def test_good_plugin_registers_kernels_that_run(fresh):
    mod = fresh.module("good_plugin", """
        CALLS = []

        @unidl.hookimpl
        def unidl_register_kernels(registry):
            def add(a, b):
                CALLS.append("add")
                return np.add(a, b)
            registry.add("add", "cpu", add, priority=10)
    """)
    fresh(fresh.cpu, fresh.ep("good", mod))
    rec = _rec("good")
    assert rec.status == "loaded" and rec.kernels == 1 and rec.distribution == "fake-dist 9.9"
    a, b = np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)
    out = unidl.tensor(a) + unidl.tensor(b)
    np.testing.assert_array_equal(out.numpy(), a + b)
    assert sys.modules[mod].CALLS == ["add"]
    assert kernels.describe("add", "cpu") == "kernel:good"
    assert plugins.manager().get_plugin("good") is sys.modules[mod]


def test_real_entry_point_objects_are_accepted(fresh, monkeypatch):
    # Through importlib.metadata itself, as an installed distribution's entry points arrive.
    mod = fresh.module("plain_plugin", """
        @unidl.hookimpl
        def unidl_register_kernels(registry):
            registry.add("negative", "cpu", np.negative, priority=3)
    """)
    eps = metadata.EntryPoints([fresh.cpu, metadata.EntryPoint("plain", mod, "unidl"),
                                metadata.EntryPoint("other-group", mod, "not_unidl")])
    monkeypatch.setattr(metadata, "entry_points", lambda *a, **k: eps)
    plugins.reset()
    plugins.ensure_loaded()
    assert [r.name for r in plugins.records()] == ["cpu", "plain"]
    assert _rec("plain").status == "loaded" and _rec("plain").distribution == ""
    assert kernels.describe("negative", "cpu") == "kernel:plain"


# -- (2) import failure -----------------------------------------------------------------------------

def test_plugin_failing_on_import_is_recorded_and_runtime_works(fresh):
    bad = fresh.module("bad_import_plugin", "raise RuntimeError('boom at import')\n")
    fresh(fresh.cpu, fresh.ep("broken", bad), fresh.ep("missing", "no_such_module_for_unidl_tests"))
    rec = _rec("broken")
    assert rec.status == "failed" and rec.phase == "import"
    assert "RuntimeError: boom at import" in rec.error and "boom at import" in rec.traceback
    assert rec.distribution == "fake-dist 9.9" and rec.module == bad
    assert _rec("missing").status == "failed" and "ModuleNotFoundError" in _rec("missing").error
    assert {r.name for r in plugins.failures()} == {"broken", "missing"}
    out = unidl.tensor([1.0, 2.0]) * 2.0
    np.testing.assert_array_equal(out.numpy(), np.array([2.0, 4.0], np.float32))


def test_failure_listener_hook_is_told(fresh):
    listener = fresh.module("listener_plugin", """
        SEEN = []

        @unidl.hookimpl
        def unidl_plugin_failed(name, phase, error):
            SEEN.append((name, phase, type(error).__name__))
    """)
    bad = fresh.module("bad_kernels_plugin0", """
        @unidl.hookimpl
        def unidl_register_kernels(registry):
            raise KeyError("nope")
    """)
    fresh(fresh.ep("listener", listener), fresh.ep("bad", bad))
    assert sys.modules[listener].SEEN == [("bad", "kernels", "KeyError")]


# -- (3) no partial registration --------------------------------------------------------------------

def test_failure_inside_register_kernels_leaves_nothing_behind(fresh):
    mod = fresh.module("half_plugin", """
        @unidl.hookimpl
        def unidl_register_devices(registry):
            registry.add("halfdev", xp=np)

        @unidl.hookimpl
        def unidl_register_kernels(registry):
            registry.add("add", "cpu", lambda a, b: np.zeros(()), priority=50)
            registry.add("exp", "halfdev", np.exp)
            raise ValueError("gave up half way")
    """)
    fresh(fresh.cpu, fresh.ep("half", mod))
    rec = _rec("half")
    assert (rec.status, rec.phase) == ("failed", "kernels") and "gave up half way" in rec.error
    assert "half" not in kernels.KERNELS.count_by_plugin()
    assert "halfdev" not in devices.DEVICES.types
    assert plugins.manager().get_plugin("half") is None
    assert kernels.describe("add", "cpu") == "kernel:cpu"
    np.testing.assert_array_equal((unidl.tensor([1.0]) + 1.0).numpy(), [2.0])
    with pytest.raises(unidl.UnidlError, match="halfdev"):
        unidl.device("halfdev")


def test_failure_in_configure_is_isolated(fresh):
    bad = fresh.module("bad_configure_plugin", """
        @unidl.hookimpl
        def unidl_register_kernels(registry):
            registry.add("add", "cpu", np.add, priority=7)

        @unidl.hookimpl
        def unidl_configure(config):
            raise RuntimeError("cannot configure")
    """)
    good = fresh.module("good_configure_plugin", """
        CONFIG = []

        @unidl.hookimpl
        def unidl_configure(config):
            CONFIG.append(config)
    """)
    fresh(fresh.cpu, fresh.ep("badconf", bad), fresh.ep("goodconf", good))
    assert (_rec("badconf").status, _rec("badconf").phase) == ("failed", "configure")
    assert "badconf" not in kernels.KERNELS.count_by_plugin()
    assert len(sys.modules[good].CONFIG) == 1 and isinstance(sys.modules[good].CONFIG[0], dict)
    # a plugin registered later is configured when it is registered
    late = types.SimpleNamespace(seen=[])
    late_plugin = type("Late", (), {"unidl_configure": unidl.hookimpl(lambda self, config: late.seen.append(1))})()
    assert plugins.register(late_plugin, "late").status == "loaded"
    assert late.seen == [1]


def test_misspelt_hook_fails_validation(fresh):
    mod = fresh.module("typo_plugin", """
        @unidl.hookimpl
        def unidl_register_kernel(registry):
            pass
    """)
    fresh(fresh.cpu, fresh.ep("typo", mod))
    assert (_rec("typo").status, _rec("typo").phase) == ("failed", "validate")
    assert "unidl_register_kernel" in _rec("typo").error


# -- (4) priorities, Decline, dtype-restricted kernels -----------------------------------------------

OVERRIDE = """
    CALLS = []

    def _counted(name, fn):
        def k(*args, **kw):
            CALLS.append(name)
            return fn(*args, **kw)
        return k

    def _declining_multiply(a, b):
        CALLS.append("multiply?")
        if a.ndim == 0 or a.size == 0:
            raise unidl.Decline()
        return np.multiply(a, b)

    @unidl.hookimpl
    def unidl_register_kernels(registry):
        registry.add("exp", "cpu", _counted("exp", np.exp), priority=10)
        registry.add("multiply", "cpu", _declining_multiply, priority=10)
        registry.add("subtract", "cpu", _counted("subtract64", np.subtract), priority=10, dtypes=["float64"])
"""


def test_override_wins_for_its_ops_and_cpu_serves_the_rest(fresh):
    mod = fresh.module("override_plugin", OVERRIDE)
    fresh(fresh.cpu, fresh.ep("override", mod))
    calls = sys.modules[mod].CALLS
    assert kernels.describe("exp", "cpu") == "kernel:override"
    assert kernels.describe("add", "cpu") == "kernel:cpu"

    # hypothesis does not mix with function-scoped fixtures, so it runs inside the test
    @settings(max_examples=10)
    @given(x=ust.shapes(max_dims=3, max_side=4).flatmap(lambda s: ust.arrays(np.float32, s, -3, 3)))
    def check(x):
        calls.clear()
        t = unidl.tensor(x)
        np.testing.assert_allclose(unidl.ops.exp(t).numpy(), np.exp(x), rtol=1e-6)
        np.testing.assert_array_equal((t + t).numpy(), x + x)  # add: only cpu has it
        assert calls == ["exp"]

    check()


def test_decline_passes_to_the_next_kernel(fresh):
    mod = fresh.module("override_plugin", OVERRIDE)
    fresh(fresh.cpu, fresh.ep("override", mod))
    calls = sys.modules[mod].CALLS
    a = _f32(2, 3)
    np.testing.assert_array_equal((unidl.tensor(a) * 2.0).numpy(), a * 2)
    assert calls == ["multiply?"]
    calls.clear()
    s = np.float32(3.0)
    np.testing.assert_array_equal((unidl.tensor(s) * unidl.tensor(s)).numpy(), s * s)  # declined -> cpu
    assert calls == ["multiply?"]
    calls.clear()
    np.testing.assert_array_equal((unidl.tensor(np.zeros((0, 2), np.float32)) * 1.0).numpy(), np.zeros((0, 2)))
    assert calls == ["multiply?"]


def test_dtype_restricted_kernel_only_serves_its_dtypes(fresh):
    mod = fresh.module("override_plugin2", OVERRIDE)
    fresh(fresh.cpu, fresh.ep("override", mod))
    calls = sys.modules[mod].CALLS
    a64, a32 = np.array([3.0, 5.0]), np.array([3.0, 5.0], np.float32)
    np.testing.assert_array_equal((unidl.tensor(a64) - 1.0).numpy(), a64 - 1.0)
    assert calls == ["subtract64"]
    calls.clear()
    out = unidl.tensor(a32) - 1.0
    np.testing.assert_array_equal(out.numpy(), a32 - 1.0)
    assert out.dtype == np.float32 and calls == []
    calls.clear()
    np.testing.assert_array_equal((unidl.tensor([4, 6]) - 1).numpy(), np.array([3, 5]))
    assert calls == []


def test_unregister_restores_the_cpu_kernel_and_keeps_cpu_tensors_usable(fresh):
    mod = fresh.module("override_plugin3", OVERRIDE)
    fresh(fresh.cpu, fresh.ep("override", mod))
    before = unidl.tensor([1.0, 2.0])
    assert kernels.describe("exp", "cpu") == "kernel:override"
    plugins.unregister("override")
    assert "override" not in plugins.RECORDS and plugins.manager().get_plugin("override") is None
    assert kernels.describe("exp", "cpu") == "kernel:cpu"
    after = unidl.ops.exp(before) + unidl.tensor([0.0, 0.0])  # same Device object as before
    np.testing.assert_allclose(after.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)


# -- (5) conflicts ----------------------------------------------------------------------------------

def test_equal_priority_conflict_names_both_plugins(fresh):
    src = """
        @unidl.hookimpl
        def unidl_register_kernels(registry):
            registry.add("exp", "cpu", np.exp, priority=5)
    """
    one, two = fresh.module("conflict_one", src), fresh.module("conflict_two", src)
    fresh(fresh.cpu, fresh.ep("first", one), fresh.ep("second", two))
    assert _rec("first").status == "loaded"
    rec = _rec("second")
    assert (rec.status, rec.phase) == ("failed", "commit")
    assert "'first'" in rec.error and "'second'" in rec.error and "exp" in rec.error
    assert kernels.describe("exp", "cpu") == "kernel:first"


def test_duplicate_device_type_is_refused(fresh):
    mod = fresh.module("cpu_again_plugin", """
        @unidl.hookimpl
        def unidl_register_devices(registry):
            registry.add("cpu", xp=np)
    """)
    fresh(fresh.cpu, fresh.ep("cpu2", mod))
    rec = _rec("cpu2")
    assert (rec.status, rec.phase) == ("failed", "devices") and "'cpu'" in rec.error
    assert devices.DEVICES.types["cpu"].plugin == "cpu"


# -- (6) blocking -----------------------------------------------------------------------------------

def test_disable_plugins_blocks_one(fresh, monkeypatch):
    mod = fresh.module("blocked_plugin", """
        IMPORTED = True

        @unidl.hookimpl
        def unidl_register_kernels(registry):
            registry.add("exp", "cpu", np.exp, priority=10)
    """)
    monkeypatch.setenv("UNIDL_DISABLE_PLUGINS", "someother, blocked")
    fresh(fresh.cpu, fresh.ep("blocked", mod))
    rec = _rec("blocked")
    assert rec.status == "blocked" and rec.distribution == "fake-dist 9.9"
    assert mod not in sys.modules  # never imported
    assert kernels.describe("exp", "cpu") == "kernel:cpu"


def test_disable_autoload_loads_nothing(fresh, monkeypatch):
    monkeypatch.setenv("UNIDL_DISABLE_PLUGIN_AUTOLOAD", "1")
    fresh(fresh.cpu)
    assert plugins.records() == []
    with pytest.raises(unidl.UnidlError, match="unknown device type 'cpu'"):
        unidl.device("cpu")


# -- (7) invalid registrations and strict mode --------------------------------------------------------

UNKNOWN_OP = """
    @unidl.hookimpl
    def unidl_register_kernels(registry):
        registry.add("exp", "cpu", np.exp, priority=9)
        registry.add("definitely_not_an_op", "cpu", np.exp)
"""


def test_unknown_op_name_is_refused(fresh):
    mod = fresh.module("unknown_op_plugin", UNKNOWN_OP)
    fresh(fresh.cpu, fresh.ep("unknownop", mod))
    rec = _rec("unknownop")
    assert (rec.status, rec.phase) == ("failed", "kernels")
    assert "unknown op 'definitely_not_an_op'" in rec.error and "unknownop" in rec.error
    assert kernels.describe("exp", "cpu") == "kernel:cpu"


def test_kernel_for_unregistered_device_is_refused(fresh):
    mod = fresh.module("no_device_plugin", """
        @unidl.hookimpl
        def unidl_register_kernels(registry):
            registry.add("exp", "ghostdev", np.exp)
    """)
    fresh(fresh.cpu, fresh.ep("nodev", mod))
    assert _rec("nodev").status == "failed" and "ghostdev" in _rec("nodev").error


def test_strict_mode_reraises(fresh, monkeypatch):
    mod = fresh.module("unknown_op_plugin2", UNKNOWN_OP)
    monkeypatch.setenv("UNIDL_STRICT_PLUGINS", "1")
    with pytest.raises(unidl.PluginError, match="definitely_not_an_op"):
        fresh(fresh.cpu, fresh.ep("unknownop", mod))
    bad = fresh.module("bad_import_plugin2", "raise ImportError('strict boom')\n")
    with pytest.raises(ImportError, match="strict boom"):
        fresh(fresh.ep("broken", bad))


def test_register_by_hand(fresh):
    fresh(fresh.cpu)

    class Doubler:
        @unidl.hookimpl
        def unidl_register_kernels(self, registry):
            registry.add("negative", "cpu", lambda x: np.negative(x) * 2, priority=1)

    rec = plugins.register(Doubler(), "doubler")
    assert rec.status == "loaded" and rec.kernels == 1
    np.testing.assert_array_equal((-unidl.tensor([1.0, 2.0])).numpy(), [-2.0, -4.0])
    with pytest.raises(unidl.PluginError, match="already loaded"):
        plugins.register(Doubler(), "doubler")


# -- (8) a new device type ---------------------------------------------------------------------------

FAKEDEV = """
    MOVES = {"to_host": 0, "from_host": 0}
    CALLS = []

    def _to_host(a):
        MOVES["to_host"] += 1
        return np.asarray(a)

    def _from_host(a, index=0):
        MOVES["from_host"] += 1
        return np.array(a)

    def _add(a, b):
        CALLS.append("add")
        return np.add(a, b)

    @unidl.hookimpl
    def unidl_register_devices(registry):
        registry.add("fakedev", xp=np, to_host=_to_host, from_host=_from_host, device_count=lambda: 2)
        registry.add("deaddev", xp=np, is_available=lambda: False, unavailable_reason="no hardware here")

    @unidl.hookimpl
    def unidl_register_kernels(registry):
        registry.add("add", "fakedev", _add)
"""


@pytest.fixture
def composite_op():
    """A throw-away op with a composite definition (no plugin registers a kernel for it)."""
    from unidl.ops._core import unary

    name = "_test_square_plus_x"
    op = kernels.defop(name, composite=lambda K, x: K.add(K.multiply(x, x), x))
    try:
        yield lambda x: unary(op, None, x)
    finally:
        del kernels.OPS[name]


def test_new_device_type_runs_ops_via_host_fallback_and_composites(fresh, composite_op):
    mod = fresh.module("fakedev_plugin", FAKEDEV)
    fresh(fresh.cpu, fresh.ep("fake", mod))
    m = sys.modules[mod]
    assert _rec("fake").devices == ["deaddev", "fakedev"]
    dev = unidl.device("fakedev")
    assert str(dev) == "fakedev:0" and unidl.device("fakedev:1").index == 1
    a, b = _f32(2, 3), _f32(2, 3) + 1
    x, y = unidl.tensor(a, device="fakedev"), unidl.tensor(b, device=dev)
    assert x.device is dev and y.device is dev
    np.testing.assert_array_equal((x + y).numpy(), a + b)  # the plugin's own kernel
    assert m.CALLS == ["add"] and kernels.describe("add", "fakedev") == "kernel:fake"
    before = m.MOVES["to_host"]
    z = x * y  # no fakedev kernel: the cpu kernel through host memory
    assert z.device is dev and kernels.describe("multiply", "fakedev") == "host"
    np.testing.assert_array_equal(z.numpy(), a * b)
    assert m.MOVES["to_host"] >= before + 2
    m.CALLS.clear()
    w = composite_op(x)  # composite: built from the device's own add and the host multiply
    np.testing.assert_array_equal(w.numpy(), a * a + a)
    assert w.device is dev and m.CALLS == ["add"] and kernels.describe("_test_square_plus_x", "fakedev") == "composite"
    # autograd works on the new device with no extra kernel
    p = unidl.tensor(a.astype(np.float64), device=dev, requires_grad=True)
    with unidl.record():
        loss = (p * p).sum()
    loss.backward()
    assert p.grad.device is dev
    np.testing.assert_allclose(p.grad.numpy(), 2 * a)
    # moving between devices
    back = z.to("cpu")
    assert back.device is unidl.device("cpu")
    np.testing.assert_array_equal(back.numpy(), a * b)
    with pytest.raises(unidl.UnidlError, match="no hardware here"):
        unidl.device("deaddev")
    with pytest.raises(unidl.UnidlError, match="fakedev:5"):
        unidl.device("fakedev:5")


def test_mixing_devices_raises_device_mismatch(fresh):
    mod = fresh.module("fakedev_plugin2", FAKEDEV)
    fresh(fresh.cpu, fresh.ep("fake", mod))
    c = unidl.tensor(_f32(2, 2))
    f = unidl.tensor(_f32(2, 2), device="fakedev")
    for fn in (lambda: c + f, lambda: f * c, lambda: unidl.ops.where(c > 1.0, c, f)):
        with pytest.raises(unidl.DeviceMismatchError) as info:
            fn()
        msg = str(info.value)
        assert "cpu" in msg and "fakedev:0" in msg and "(2, 2)" in msg


def test_missing_kernel_without_host_path_names_op_and_device(fresh):
    # a device whose plugin gives no way to the host, for an op with no composite
    mod = fresh.module("island_plugin", """
        @unidl.hookimpl
        def unidl_register_devices(registry):
            registry.add("islanddev", xp=np)
    """)
    fresh(fresh.ep("island", mod))  # no cpu plugin loaded: no host fallback either
    x = unidl.tensor([1.0], device="islanddev")
    with pytest.raises(unidl.KernelNotFoundError, match="'exp' on device 'islanddev'"):
        unidl.ops.exp(x)


# -- (9) the `unidl plugins` command ----------------------------------------------------------------

def test_unidl_plugins_lists_failures(fresh, capsys):
    bad = fresh.module("bad_kernels_plugin", """
        @unidl.hookimpl
        def unidl_register_kernels(registry):
            raise RuntimeError("kernel table is corrupt")
    """)
    dev = fresh.module("fakedev_plugin3", FAKEDEV)
    fresh(fresh.cpu, fresh.ep("badkern", bad), fresh.ep("fake", dev), fresh.ep("broken", "no_such_module_xyz"))
    assert cli_main(["plugins"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(ln.split()[:2] == ["cpu", "loaded"] for ln in lines)
    assert any(ln.split()[:2] == ["badkern", "failed"] and "fake-dist" in ln for ln in lines)
    assert any(ln.split()[:3] == ["fake", "loaded", "fake-dist"] and "deaddev,fakedev" in ln for ln in lines)
    failures = out[out.index("Failures"):]
    assert "badkern" in failures and "kernels" in failures and "RuntimeError: kernel table is corrupt" in failures
    assert "broken" in failures and "ModuleNotFoundError" in failures
    devices_part = out[out.index("Device types"):out.index("Failures")]
    assert "fakedev" in devices_part and "available (2)" in devices_part
    assert "deaddev" in devices_part and "unavailable: no hardware here" in devices_part
    assert cli_main(["plugins", "-v"]) == 0
    assert "Traceback" in capsys.readouterr().out


def test_unidl_plugins_in_a_subprocess_with_a_broken_plugin(tmp_path):
    # A real process: the broken plugin comes from a real installed-looking distribution on sys.path.
    dist = tmp_path / "brokenplug-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: brokenplug\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[unidl]\nbrokenplug = brokenplug_mod\n")
    (tmp_path / "brokenplug_mod.py").write_text("raise RuntimeError('broken on purpose')\n")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("UNIDL_")}
    env["PYTHONPATH"] = str(tmp_path)
    res = subprocess.run([sys.executable, "-m", "unidl", "plugins"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "brokenplug" in out and "brokenplug 1.0" in out
    assert "RuntimeError: broken on purpose" in out[out.index("Failures"):]
    assert any(ln.split()[:2] == ["cpu", "loaded"] for ln in out.splitlines())


def test_cli_without_command_prints_help(capsys):
    assert cli_main([]) == 2
    assert "plugins" in capsys.readouterr().out


def test_a_plugin_listed_before_the_device_it_needs_loads_after_it(fresh):
    mod = fresh.module("early_plugin", """
        CALLS = []

        def exp(x):
            CALLS.append(x.shape)
            return np.exp(x)

        @unidl.hookimpl
        def unidl_register_kernels(registry):
            registry.add("exp", "cpu", exp, priority=10)
    """)
    fresh(fresh.ep("early", mod), fresh.cpu)    # as a PYTHONPATH / pip --user distribution comes first
    assert _rec("early").status == "loaded" and _rec("cpu").status == "loaded"
    unidl.ops.exp(unidl.tensor(np.zeros(3, np.float32)))
    assert sys.modules[mod].CALLS == [(3,)]


def test_a_plugin_failure_is_printed_once_when_it_happens(fresh, capsys):
    mod = fresh.module("no_device_plugin2", """
        @unidl.hookimpl
        def unidl_register_kernels(registry):
            registry.add("exp", "ghostdev", np.exp)
    """)
    fresh(fresh.cpu, fresh.ep("nodev2", mod))
    err = capsys.readouterr().err
    assert err.count("plugin 'nodev2'") == 1 and "ghostdev" in err and "unidl plugins" in err
    unidl.ops.exp(unidl.tensor(np.zeros(2, np.float32)))
    assert "nodev2" not in capsys.readouterr().err


def test_a_kernel_that_cannot_take_its_ops_arguments_is_refused_at_registration(fresh):
    mod = fresh.module("bad_signature_plugin", """
        @unidl.hookimpl
        def unidl_register_kernels(registry):
            registry.add("sum", "cpu", lambda x, y: x, priority=10)   # sum takes (x, axis=, keepdims=)
    """)
    fresh(fresh.cpu, fresh.ep("badsig", mod))
    rec = _rec("badsig")
    assert rec.status == "failed" and "'sum'" in rec.error and "signature" in rec.error and "badsig" in rec.error


WRONG_RESULTS = """
    @unidl.hookimpl
    def unidl_register_kernels(registry):
        registry.add("relu", "cpu", lambda x: np.maximum(x, 0).reshape(-1), priority=10)   # loses the shape
        registry.add("exp", "cpu", lambda x: np.exp(x).tolist(), priority=10)             # a list
"""


def test_a_kernel_returning_a_list_is_named_at_its_first_call(fresh):
    fresh(fresh.cpu, fresh.ep("wrong", fresh.module("wrong_results_plugin", WRONG_RESULTS)))
    with pytest.raises(unidl.errors.KernelResultError, match=r"plugin 'wrong': kernel for op 'exp' on 'cpu' "
                                                               r"returned a list"):
        unidl.ops.exp(unidl.tensor(np.zeros((1, 2), np.float32)))


def test_check_mode_compares_shapes_and_dtypes_with_the_reference(fresh, monkeypatch):
    monkeypatch.delenv("UNIDL_CHECK_KERNELS", raising=False)
    fresh(fresh.cpu, fresh.ep("wrong", fresh.module("wrong_results_plugin2", WRONG_RESULTS)))
    x = unidl.tensor(np.ones((1, 2), np.float32))
    assert unidl.ops.relu(x).shape == (2,)          # unchecked by default: only the cheap check runs
    monkeypatch.setenv("UNIDL_CHECK_KERNELS", "1")
    kernels.invalidate()
    with pytest.raises(unidl.errors.KernelResultError, match=r"'relu' on 'cpu' returned an array of shape \(2,\) "
                                                               r".*reference kernel returns an array of shape \(1, 2\)"):
        unidl.ops.relu(x)
