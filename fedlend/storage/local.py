"""The embedded content store: a directory of raw blocks named by CIDv1, written atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

from fedlend.errors import ContentNotFoundError, IntegrityError, StorageUnavailableError
from fedlend.settings import DEFAULT_MAX_BLOB_BYTES
from fedlend.storage.base import check_size
from fedlend.storage.cid import cid_for, normalize_cid, verify_content

TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 3600.0  # a temp file this old belongs to a writer that crashed


class LocalStore:
    """Blocks live in `root/blocks/<cid>`; a block file exists only once complete and fsynced."""

    def __init__(
        self,
        root: Path,
        *,
        max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES,
        stale_temp_seconds: float = STALE_TEMP_SECONDS,
    ) -> None:
        self.root = Path(root)
        self.max_blob_bytes = max_blob_bytes
        self.blocks = self.root / "blocks"
        try:
            self.blocks.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailableError(
                f"cannot create the content store at {self.blocks}: {exc}; "
                "set FEDLEND_HOME to a writable directory"
            ) from exc
        self.remove_stale_temp_files(older_than=stale_temp_seconds)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def put(self, data: bytes) -> str:
        """Store `data` and return its CID; an existing intact block is left as it is."""
        check_size(len(data), self.max_blob_bytes, what="blob to store")
        cid = cid_for(data)
        path = self._path(cid)
        if not self._intact(cid, path):
            self._write_atomically(path, data)
        return cid

    def get(self, cid: str) -> bytes:
        """The verified bytes stored under `cid`."""
        cid = normalize_cid(cid)
        try:
            with self._path(cid).open("rb") as handle:
                check_size(os.fstat(handle.fileno()).st_size, self.max_blob_bytes, what=cid)
                data = handle.read(self.max_blob_bytes + 1)
        except FileNotFoundError as exc:
            raise ContentNotFoundError(
                f"{cid} is not in the local store {self.root}; "
                "fetch it from its publisher or point FEDLEND_IPFS_URL at a node that has it"
            ) from exc
        except OSError as exc:
            raise StorageUnavailableError(f"cannot read {cid} from {self.root}: {exc}") from exc
        check_size(len(data), self.max_blob_bytes, what=cid)
        verify_content(cid, data)
        return data

    def pin(self, cid: str) -> None:
        """Local blocks are never garbage-collected: only check the block is there."""
        cid = normalize_cid(cid)
        if not self._path(cid).is_file():
            raise ContentNotFoundError(f"cannot pin {cid}: it is not in the store {self.root}")

    def has(self, cid: str) -> bool:
        """True if a complete block file exists for `cid` (its content is verified on `get`)."""
        return self._path(normalize_cid(cid)).is_file()

    def remove_stale_temp_files(self, *, older_than: float = STALE_TEMP_SECONDS) -> int:
        """Delete temp files of crashed writers (older than `older_than` s); return how many."""
        cutoff = time.time() - older_than
        removed = 0
        for temp in self.blocks.glob(TEMP_PREFIX + "*"):
            with contextlib.suppress(FileNotFoundError):
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()
                    removed += 1
        return removed

    def _path(self, cid: str) -> Path:
        return self.blocks / cid

    def _intact(self, cid: str, path: Path) -> bool:
        try:
            verify_content(cid, path.read_bytes())
        except (FileNotFoundError, IntegrityError):
            return False
        return True

    def _write_atomically(self, path: Path, data: bytes) -> None:
        """Write to a temp file in the same directory, fsync, then rename over the final name."""
        try:
            fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.blocks)
        except OSError as exc:
            raise StorageUnavailableError(f"cannot write to the store {self.root}: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, path)
            self._fsync_directory()
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            if isinstance(exc, OSError):
                raise StorageUnavailableError(f"cannot write {path.name}: {exc}") from exc
            raise

    def _fsync_directory(self) -> None:
        """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
        with contextlib.suppress(OSError):
            dir_fd = os.open(self.blocks, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
