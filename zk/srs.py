"""The structured reference string (SRS) of proofs: a ceremony SRS, or an insecure local one."""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ezkl

from fedlend_core.errors import ProofError

LOCAL_CHAIN_ID = 31337
INSECURE_LABEL = (
    "INSECURE SRS: generated on this machine, so whoever generated it could forge proofs; "
    "for the local chain 31337 and tests only"
)
MAX_SRS_BYTES = 1 << 31


@dataclass(frozen=True)
class SrsConfig:
    """`path`: a ceremony-derived KZG SRS (required off the local chain); else generated locally."""

    chain_id: int
    path: Path | None = None


@dataclass(frozen=True)
class Srs:
    """A resolved SRS file, its sha256 and whether it is the insecure local kind."""

    path: Path
    digest: str
    insecure: bool

    @property
    def label(self) -> str:
        """What to tell the user about this SRS."""
        if self.insecure:
            return INSECURE_LABEL
        return f"SRS {self.path.name} (sha256 {self.digest[:16]})"


def resolve_srs(config: SrsConfig, logrows: int, cache_dir: Path) -> Srs:
    """The SRS for a circuit of 2**logrows rows: never downloaded (ezkl.get_srs is not used)."""
    if config.path is not None:
        if not config.path.is_file() or config.path.stat().st_size > MAX_SRS_BYTES:
            raise ProofError(f"no SRS file at {config.path}: set the path to a ceremony SRS")
        return Srs(config.path, _sha256_file(config.path), insecure=False)
    if config.chain_id != LOCAL_CHAIN_ID:
        raise ProofError(
            f"chain {config.chain_id} needs a ceremony SRS: set FEDLEND_ZK_SRS to its path "
            "(a locally generated SRS is allowed on the local chain 31337 only)"
        )
    path = cache_dir / f"insecure-local-k{logrows}.srs"
    with locked(path):  # another process making the same SRS waits, then reads this one
        if not path.is_file():
            partial = path.with_suffix(".partial")
            ezkl.gen_srs(str(partial), logrows)
            partial.replace(path)
    return Srs(path, _sha256_file(path), insecure=True)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path`.lock (processes sharing a cache make each file once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
