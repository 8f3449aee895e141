"""``get_file``, offline only: files come from the Keras cache directory, never from the network.

The cache directory is ``$KERAS_HOME`` when set, else ``~/.keras`` (Keras's rule); files live in
its ``cache_subdir`` (``datasets`` by default). A missing file raises
:class:`FileNotAvailableOfflineError`, naming the URL to fetch it from and the path to place it at.
"""
from __future__ import annotations

import hashlib
import os
import tarfile
import zipfile
from typing import Optional


class FileNotAvailableOfflineError(FileNotFoundError):
    """The requested file is not in the local cache, and unidl never downloads."""


def keras_home(cache_dir: Optional[str] = None) -> str:
    """The Keras cache root: ``cache_dir``, else ``$KERAS_HOME``, else ``~/.keras``."""
    if cache_dir:
        return os.path.expanduser(cache_dir)
    env = os.environ.get("KERAS_HOME")
    if env:
        return os.path.expanduser(env)
    return os.path.join(os.path.expanduser("~"), ".keras")


def missing_file_error(path: str, origin: Optional[str]) -> FileNotAvailableOfflineError:
    """The error for a file that must be placed by hand (with its URL when known)."""
    where = f" Download it from {origin} and" if origin else " Obtain it and"
    return FileNotAvailableOfflineError(
        f"File not found: {path}. unidl does not download files (no network access).{where} place it at "
        f"{path} (the cache directory is $KERAS_HOME, or ~/.keras when KERAS_HOME is unset).")


def _hash_file(path: str, algorithm: str) -> str:
    h = hashlib.sha256() if algorithm == "sha256" else hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_hash(path: str, file_hash: Optional[str], hash_algorithm: str) -> None:
    if not file_hash:
        return
    algo = hash_algorithm
    if algo == "auto":
        algo = "sha256" if len(file_hash) == 64 else "md5"
    if _hash_file(path, algo) != file_hash:
        raise ValueError(f"The file at {path} does not match the expected {algo} hash {file_hash}. "
                         "Replace it with a correct copy.")


def extract_archive(archive: str, dest: str, archive_format: str = "auto") -> None:
    """Unpack a tar or zip archive into ``dest`` (members may not escape it)."""
    os.makedirs(dest, exist_ok=True)
    if archive_format in ("auto", "tar") and tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            try:
                t.extractall(dest, filter="data")
            except TypeError:  # Python without extraction filters: check paths ourselves
                root = os.path.realpath(dest)
                for m in t.getmembers():
                    target = os.path.realpath(os.path.join(dest, m.name))
                    if not target.startswith(root + os.sep) and target != root or m.issym() or m.islnk():
                        raise ValueError(f"Refusing to extract unsafe archive member {m.name!r}")
                t.extractall(dest)
        return
    if archive_format in ("auto", "zip") and zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            root = os.path.realpath(dest)
            for name in z.namelist():
                target = os.path.realpath(os.path.join(dest, name))
                if not target.startswith(root + os.sep) and target != root:
                    raise ValueError(f"Refusing to extract unsafe archive member {name!r}")
            z.extractall(dest)
        return
    raise ValueError(f"{archive} is not a {archive_format if archive_format != 'auto' else 'tar or zip'} archive")


def get_file(fname: Optional[str] = None, origin: Optional[str] = None, untar: bool = False,
             md5_hash: Optional[str] = None, file_hash: Optional[str] = None, cache_subdir: str = "datasets",
             hash_algorithm: str = "auto", extract: bool = False, archive_format: str = "auto",
             cache_dir: Optional[str] = None, force_download: bool = False) -> str:
    """The local path of a cached file (Keras's ``get_file``, without downloading).

    ``fname`` defaults to the last part of ``origin``. With ``untar``/``extract``, an archive found in
    the cache is unpacked next to it (once) and the unpacked directory's path is returned.
    Raises :class:`FileNotAvailableOfflineError` when the file is not in the cache (and for
    ``force_download``, which would need the network).
    """
    if origin is None and fname is None:
        raise ValueError('Can\'t parse the file name. Please pass `fname` or `origin`.')
    if fname is None:
        fname = os.path.basename(origin.split("?")[0].rstrip("/"))
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. "
                             "Please specify the `fname` argument.")
    if os.path.isabs(fname):
        datadir, fname = os.path.dirname(fname), os.path.basename(fname)
    else:
        datadir = os.path.join(keras_home(cache_dir), cache_subdir)
    if untar:
        archive = os.path.join(datadir, fname if fname.endswith(".tar.gz") else fname + ".tar.gz")
        target = os.path.join(datadir, fname[:-7] if fname.endswith(".tar.gz") else fname)
    else:
        archive = target = os.path.join(datadir, fname)
    if force_download:
        raise missing_file_error(archive, origin)
    if (untar or extract) and os.path.isdir(target if untar else _extract_dir(archive)):
        return target if untar else _extract_dir(archive)
    if not os.path.exists(archive):
        raise missing_file_error(archive, origin)
    _check_hash(archive, file_hash or md5_hash, "md5" if md5_hash and not file_hash else hash_algorithm)
    if untar:
        extract_archive(archive, datadir, "tar")
        return target
    if extract:
        dest = _extract_dir(archive)
        extract_archive(archive, dest, archive_format)
        return dest
    return archive


def _extract_dir(archive: str) -> str:
    base = archive
    for ext in (".tar.gz", ".tgz", ".tar.bz2", ".tar", ".zip"):
        if base.endswith(ext):
            return base[: -len(ext)] + "_extracted"
    return base + "_extracted"
