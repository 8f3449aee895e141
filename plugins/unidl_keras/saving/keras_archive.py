"""The Keras 3 ``.keras`` archive: a ZIP of ``metadata.json``, ``config.json`` and ``model.weights.h5``.

Writing builds the whole archive in memory (stored, not compressed, as Keras writes it), so the caller
can publish it atomically. Reading never extracts anything: members are read into memory with
bounds on their count, their sizes (declared *and* actual) and their compression ratio, so a zip bomb
or a lying header is refused with an error naming the file. ``model.weights.npz`` archives are refused:
Keras's npz store needs unpickling, which we never do.
"""
from __future__ import annotations

import datetime
import io
import json
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any, Dict, Optional

from .errors import LoadError

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS_H5 = "model.weights.h5"
WEIGHTS_NPZ = "model.weights.npz"

MAX_MEMBERS = 10_000
MAX_JSON_BYTES = 64 << 20          # config.json / metadata.json
MAX_WEIGHTS_BYTES = 16 << 30       # model.weights.h5
MAX_TOTAL_BYTES = 32 << 30         # sum of declared member sizes
MAX_RATIO = 200                    # uncompressed / compressed, for members over 1 MiB
_CHUNK = 1 << 20


class ArchiveError(LoadError):
    """A ``.keras`` file that is not a valid, safe Keras archive."""


@dataclass
class ArchiveContents:
    """What a ``.keras`` archive holds."""

    config: Dict[str, Any]
    metadata: Dict[str, Any]
    weights: Optional[bytes]


def _zip_time() -> tuple:
    return (1980, 1, 1, 0, 0, 0)


def build_archive(config: Dict[str, Any], weights_h5: bytes, keras_version: str) -> bytes:
    """The bytes of a ``.keras`` archive holding ``config`` and the ``weights_h5`` file."""
    metadata = {"keras_version": keras_version,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo(METADATA, _zip_time()), json.dumps(metadata))
        z.writestr(zipfile.ZipInfo(CONFIG, _zip_time()), json.dumps(config))
        now = datetime.datetime.now().timetuple()[:6]
        z.writestr(zipfile.ZipInfo(WEIGHTS_H5, now), weights_h5)
    return bio.getvalue()


def _check_members(z: zipfile.ZipFile, name: str) -> None:
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"{name}: the archive has {len(infos)} members (limit {MAX_MEMBERS}); refusing to load it.")
    total = 0
    for info in infos:
        if info.filename.startswith(("/", "\\")) or ".." in info.filename.replace("\\", "/").split("/"):
            raise ArchiveError(f"{name}: archive member '{info.filename}' has an unsafe path.")
        total += info.file_size
        if info.file_size > (1 << 20) and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ArchiveError(f"{name}: archive member '{info.filename}' expands {info.file_size} bytes from "
                               f"{info.compress_size} (ratio over {MAX_RATIO}); refusing a possible zip bomb.")
    if total > MAX_TOTAL_BYTES:
        raise ArchiveError(f"{name}: the archive declares {total} uncompressed bytes (limit {MAX_TOTAL_BYTES}); "
                           "refusing a possible zip bomb.")


def _read_member(z: zipfile.ZipFile, member: str, limit: int, name: str) -> bytes:
    """A member's bytes, reading no more than its declared size (and ``limit``)."""
    info = z.getinfo(member)
    if info.file_size > limit:
        raise ArchiveError(f"{name}: archive member '{member}' is {info.file_size} bytes (limit {limit}).")
    out = bytearray()
    try:
        with z.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                out += chunk
                if len(out) > info.file_size:
                    raise ArchiveError(f"{name}: archive member '{member}' is larger than its header says; "
                                       "refusing a possible zip bomb.")
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, zlib.error) as e:
        if isinstance(e, ArchiveError):
            raise
        # NotImplementedError: a compression method zipfile lacks (a damaged header may name any)
        raise ArchiveError(f"{name}: archive member '{member}' is corrupt ({type(e).__name__}: {e}).") from e
    return bytes(out)


def _read_json(z: zipfile.ZipFile, member: str, name: str) -> Dict[str, Any]:
    raw = _read_member(z, member, MAX_JSON_BYTES, name)
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:   # RecursionError: absurd nesting
        raise ArchiveError(f"{name}: '{member}' is not valid JSON ({type(e).__name__}: {e}).") from e
    if not isinstance(value, dict):
        raise ArchiveError(f"{name}: '{member}' must hold a JSON object, found {type(value).__name__}.")
    return value


def read_archive(source: Any, name: Optional[str] = None, need_config: bool = True) -> ArchiveContents:
    """Read a ``.keras`` archive (a path or a binary file object) with the guards above."""
    name = name or str(source)
    try:
        z = zipfile.ZipFile(source, "r")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        raise ArchiveError(f"{name} is not a valid .keras archive (not a readable zip file: {e}).") from e
    with z:
        _check_members(z, name)
        names = set(z.namelist())
        if need_config and CONFIG not in names:
            raise ArchiveError(f"{name}: the .keras archive has no '{CONFIG}' (members: {sorted(names)[:20]}).")
        config = _read_json(z, CONFIG, name) if CONFIG in names else {}
        metadata = _read_json(z, METADATA, name) if METADATA in names else {}
        weights = None
        if WEIGHTS_H5 in names:
            weights = _read_member(z, WEIGHTS_H5, MAX_WEIGHTS_BYTES, name)
        elif WEIGHTS_NPZ in names:
            raise ArchiveError(f"{name}: weights stored as '{WEIGHTS_NPZ}' (weights_format='npz') are not supported: "
                               "reading them requires unpickling. Re-save the model with the default h5 format.")
        elif any(n.endswith(".weights.json") for n in names):
            raise ArchiveError(f"{name}: sharded weights in a .keras archive are not supported.")
    return ArchiveContents(config=config, metadata=metadata, weights=weights)


# -- unzipped archives (``save_model(..., zipped=False)``): the same three files in a directory -------------

def write_directory(dirpath: str, config: Dict[str, Any], weights_h5: bytes, keras_version: str) -> None:
    """Write ``metadata.json``, ``config.json`` and ``model.weights.h5`` into ``dirpath`` (created if needed);
    each file is written to a temporary name and renamed into place."""
    import os

    from unidl.io.atomic import write_bytes_atomic

    os.makedirs(dirpath, exist_ok=True)
    metadata = {"keras_version": keras_version,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    write_bytes_atomic(os.path.join(dirpath, METADATA), json.dumps(metadata).encode("utf-8"))
    write_bytes_atomic(os.path.join(dirpath, CONFIG), json.dumps(config).encode("utf-8"))
    write_bytes_atomic(os.path.join(dirpath, WEIGHTS_H5), weights_h5)


def _read_dir_file(dirpath: str, member: str, limit: int, name: str) -> Optional[bytes]:
    import os
    import stat

    path = os.path.join(dirpath, member)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):  # a link or a device: never follow what a directory points to
        raise ArchiveError(f"{name}: '{member}' is not a regular file (links are not followed).")
    if st.st_size > limit:
        raise ArchiveError(f"{name}: '{member}' is {st.st_size} bytes (limit {limit}); refusing to load it.")
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ArchiveError(f"{name}: '{member}' grew past {limit} bytes while being read; refusing to load it.")
    return data


def read_directory(dirpath: str, name: Optional[str] = None) -> ArchiveContents:
    """Read an unzipped ``.keras`` directory (``config.json`` required) with the same bounds as an archive."""
    name = name or str(dirpath)

    def as_json(member: str) -> Dict[str, Any]:
        raw = _read_dir_file(dirpath, member, MAX_JSON_BYTES, name)
        if raw is None:
            return {}
        try:
            value = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            raise ArchiveError(f"{name}: '{member}' is not valid JSON ({type(e).__name__}: {e}).") from e
        if not isinstance(value, dict):
            raise ArchiveError(f"{name}: '{member}' must hold a JSON object, found {type(value).__name__}.")
        return value

    if _read_dir_file(dirpath, CONFIG, MAX_JSON_BYTES, name) is None:
        raise ArchiveError(f"{name}: the model directory has no '{CONFIG}'.")
    return ArchiveContents(config=as_json(CONFIG), metadata=as_json(METADATA),
                           weights=_read_dir_file(dirpath, WEIGHTS_H5, MAX_WEIGHTS_BYTES, name))
