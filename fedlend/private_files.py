"""Local state only its owner can read: directories 0700, files (SQLite and its WAL) 0600."""

from __future__ import annotations

import os
from pathlib import Path

from fedlend.errors import ConfigError


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed; the leaf directory ends up 0700."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the private directory {path}: {exc}; "
            "set FEDLEND_HOME to a directory you own"
        ) from exc
    return path


def private_file(path: Path) -> Path:
    """Make sure `path` exists with mode 0600 (SQLite then gives its -wal/-shm files the same)."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except OSError as exc:
        raise ConfigError(f"cannot create {path}: {exc}; check the directory's owner") from exc
    return path


def replace_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` (0600, in a 0700 directory) aside, then move it in: a crash leaves
    the old file or the new one, never half of either."""
    tmp = private_file(path.with_suffix(".tmp"))
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def keep_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` once, atomically, in a 0700 directory; an existing file is kept."""
    if not path.exists():
        private_dir(path.parent)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path
