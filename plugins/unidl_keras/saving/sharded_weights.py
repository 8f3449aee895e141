"""Sharded weights (``save_weights(path, max_shard_size=GB)``), Keras 3's ``ShardedH5IOStore`` layout.

``name.weights.json`` holds ``{"metadata": {"total_size": bytes}, "weight_map": {"/<path>/vars": shard
file name or list of names}}``; the shards ``name_00000.weights.h5``, ``name_00001.weights.h5``, ... sit
beside it and hold the ``.weights.h5`` groups (``<path>/vars/<i>``). A shard is closed when the next
array would take it past ``max_shard_size`` gigabytes.

Reading trusts nothing: a shard name must be a plain file name ending ``.weights.h5`` in the JSON's own
folder (no path separators, no links), each shard passes the same self-containment checks as any HDF5
file, and the arrays are gathered into one in-memory ``.weights.h5`` that the ordinary loader reads.
"""
from __future__ import annotations

import io
import json
import os
import pathlib
import stat
from typing import Any, Dict, List, Optional, Set

import numpy as np

from .h5_weights import WeightsLoadError, _own_arrays, _vars_path, check_self_contained, open_h5, read_dataset, walk

MAX_JSON_BYTES = 64 << 20
MAX_SHARDS = 100_000


def _readable_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.2f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n} TB"


def shard_files(model: Any, filepath: str, max_shard_size: float,
                skip: Optional[Set[int]] = None) -> Dict[str, bytes]:
    """The files to write, by path: the ``.weights.json`` map and its shards."""
    import h5py

    path = pathlib.Path(filepath)
    if path.suffix != ".json":
        import warnings

        new_path = path.with_suffix(".json")
        warnings.warn(f"Saving sharded weights requires `*.json` as the extension. The original path: {path} will "
                      f"be renamed to {new_path}.", stacklevel=3)
        path = new_path
    base = path.stem.replace(".weights", "")
    limit = float(max_shard_size) * 1024 ** 3
    shards: List[io.BytesIO] = []
    files: List[Any] = []
    weight_map: Dict[str, Any] = {}
    total = 0.0
    current = 0.0

    def new_shard() -> Any:
        bio = io.BytesIO()
        shards.append(bio)
        files.append(h5py.File(bio, "w"))
        return files[-1]

    f = new_shard()
    try:
        for obj_path, obj in walk(model, True, skip):
            arrays = _own_arrays(obj)
            gname = "/" + _vars_path(obj_path)
            for i, arr in enumerate(arrays):
                arr = np.asarray(arr)
                size = float(arr.size * arr.dtype.itemsize)
                total += size
                if size > limit:
                    raise ValueError(f"The size of {i} is {_readable_size(size)} which exceeds the maximum shard size "
                                     f"{_readable_size(limit)}. You can increase the `max_shard_size` parameter to "
                                     "accommodate the size.")
                current += size
                if current > limit:
                    f = new_shard()
                    current = size
                group = f.require_group(gname)
                group.create_dataset(str(i), data=arr)
                shard_name = f"{base}_{len(shards) - 1:05}.weights.h5"
                have = weight_map.get(gname)
                if have is None:
                    weight_map[gname] = shard_name
                elif isinstance(have, list):
                    if shard_name not in have:
                        have.append(shard_name)
                elif have != shard_name:
                    weight_map[gname] = [have, shard_name]
    finally:
        for h in files:
            h.close()
    out = {str(path.with_name(f"{base}_{k:05}.weights.h5")): bio.getvalue() for k, bio in enumerate(shards)}
    out[str(path)] = json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=4).encode()
    return out


def _regular_file(path: str, name: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise WeightsLoadError(f"{name}: shard file {os.path.basename(path)!r} is missing.") from None
    if not stat.S_ISREG(st.st_mode):
        raise WeightsLoadError(f"{name}: shard {os.path.basename(path)!r} is not a regular file (links are not "
                               "followed).")


def gather(filepath: str) -> bytes:
    """One in-memory ``.weights.h5`` holding every group of the sharded weights at ``filepath``."""
    import h5py

    name = str(filepath)
    _regular_file(name, name)
    if os.path.getsize(name) > MAX_JSON_BYTES:
        raise WeightsLoadError(f"{name}: the sharding map is larger than {MAX_JSON_BYTES} bytes; refusing to read it.")
    try:
        with open(name, "rb") as fh:
            config = json.loads(fh.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise WeightsLoadError(f"{name}: the sharding map is not valid JSON ({type(e).__name__}: {e}).") from e
    weight_map = config.get("weight_map") if isinstance(config, dict) else None
    if not isinstance(weight_map, dict):
        raise WeightsLoadError(f"{name}: the sharding map has no 'weight_map' object.")
    folder = os.path.dirname(os.path.abspath(name))
    by_shard: Dict[str, List[str]] = {}
    for gname, shard in weight_map.items():
        names = shard if isinstance(shard, list) else [shard]
        if not isinstance(gname, str) or not all(isinstance(s, str) for s in names):
            raise WeightsLoadError(f"{name}: weight_map entries must map a group path to shard file name(s).")
        for s in names:
            if (os.path.basename(s) != s or s in ("", ".", "..") or "\\" in s or "/" in s
                    or not s.endswith(".weights.h5")):
                raise WeightsLoadError(f"{name}: shard name {s!r} must be a plain '.weights.h5' file name in the "
                                       "same folder as the map.")
            by_shard.setdefault(s, []).append(gname)
    if len(by_shard) > MAX_SHARDS:
        raise WeightsLoadError(f"{name}: the map lists {len(by_shard)} shards (limit {MAX_SHARDS}).")
    bio = io.BytesIO()
    with h5py.File(bio, "w") as out:
        for shard, groups in by_shard.items():
            spath = os.path.join(folder, shard)
            _regular_file(spath, name)
            with open_h5(spath, spath) as f:
                check_self_contained(f, spath)
                for gname in groups:
                    src = f.get(gname.lstrip("/"))
                    if src is None:
                        continue
                    if not isinstance(src, h5py.Group):
                        raise WeightsLoadError(f"{spath}: '{gname}' is not a group.")
                    dst = out.require_group(gname.lstrip("/"))
                    for key in src.keys():
                        ds = src.get(key)
                        if isinstance(ds, h5py.Dataset) and key not in dst:
                            dst.create_dataset(key, data=read_dataset(ds, spath))
    return bio.getvalue()
