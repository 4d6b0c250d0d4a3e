"""A circuit's settings, compiled circuit and proving/verifying keys, cached per circuit digest."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import ezkl

from fedlend_core.errors import ProofError
from fedlend_core.progress import Progress, quiet, within
from zk.child import run_ezkl
from zk.circuit import build_graph
from zk.shape import CircuitShape
from zk.srs import Srs, SrsConfig, locked, resolve_srs

# EZKL run arguments: integers only (scales 0), data/labels/weights KZG-committed, outputs public.
# No range checks on inputs and outputs (zk/README.md "Soundness" says why none is needed: labels
# are compared with 1 in the circuit, each sort bounds its own neighbours' differences, and the
# contract hashes the public weights); the sorts' comparisons decompose differences into 4 legs
# of base 128, so the scores' span must stay below DECOMPOSITION_RANGE (checked before proving).
# num_inner_cols 2: with the one-hot blocks looked up (zk/layout.py) the demo's 2,375 x 148 circuit
# fits 2^18 rows; a third column would cost ~150k gas more per proof (4 columns would make EZKL's
# Halo2Verifier larger than the EVM's 24,576-byte contract limit).
RUN_ARGS = {
    "input_visibility": "polycommit",
    "output_visibility": "public",
    "param_visibility": "fixed",
    "input_scale": 0,
    "param_scale": 0,
    "decomp_base": 128,
    "decomp_legs": 4,
    "ignore_range_check_inputs_outputs": True,
    "num_inner_cols": 2,
}
DECOMPOSITION_RANGE = 128**4
FILES = ("model.onnx", "settings.json", "circuit.ezkl", "vk.key", "pk.key")
SETUP_CHILD = """
import json, sys, ezkl
model, settings, circuit, vk, pk, srs, run_args = sys.argv[1:8]
args = ezkl.PyRunArgs()
for name, value in json.loads(run_args).items():
    setattr(args, name, value)
ok = ezkl.gen_settings(model, settings, py_run_args=args)
ok = ok and ezkl.compile_circuit(model, circuit, settings)
ok = ok and ezkl.setup(circuit, vk, pk, srs, None, False)
sys.exit(0 if ok else 3)
"""


@dataclass(frozen=True)
class CircuitKeys:
    """Where one circuit's artifacts live, with the SRS they were made with."""

    shape: CircuitShape
    directory: Path
    srs: Srs
    logrows: int

    def file(self, name: str) -> str:
        """The path of one artifact (one of FILES) as ezkl wants it."""
        return str(self.directory / name)

    @property
    def vk_digest(self) -> bytes:
        """sha256 of the verifying key: fixed on-chain beside the verifier."""
        return hashlib.sha256((self.directory / "vk.key").read_bytes()).digest()


def circuit_keys(
    shape: CircuitShape, srs_config: SrsConfig, cache_dir: Path, progress: Progress = quiet
) -> CircuitKeys:
    """Settings, circuit and keys for `shape`: from the cache, or made now (setup takes a while)."""
    graph = build_graph(shape)
    logrows = _logrows(graph)
    srs = resolve_srs(srs_config, logrows, cache_dir / "srs")
    material = json.dumps({"run_args": RUN_ARGS, "logrows": logrows, "srs": srs.digest})
    digest = hashlib.sha256(graph + material.encode()).hexdigest()[:32]
    directory = cache_dir / "circuits" / digest
    with locked(directory):  # a second process waits for the first one's setup, then reuses it
        if not all((directory / name).is_file() for name in FILES):
            stage = f"setting up the circuit ({shape.rows} rows x {shape.features}, once)"
            progress(0.05, stage)
            _setup(graph, logrows, srs, directory, within(progress, 0.05, 0.95, stage))
    progress(1.0, "circuit keys ready")
    return CircuitKeys(shape=shape, directory=directory, srs=srs, logrows=logrows)


def circuit_logrows(shape: CircuitShape) -> int:
    """The k (2**k rows) of the circuit for `shape`: what its SRS must cover."""
    return _logrows(build_graph(shape))


def _run_args(logrows: int) -> ezkl.PyRunArgs:
    args = ezkl.PyRunArgs()
    for name, value in RUN_ARGS.items():
        setattr(args, name, value)
    args.logrows = logrows  # type: ignore[attr-defined]  # settable; missing from ezkl's stub
    return args


def _logrows(graph: bytes) -> int:
    """The smallest 2**k rows holding the circuit (its cells plus blinding rows)."""
    with tempfile.TemporaryDirectory() as tmp:
        model, settings = Path(tmp, "model.onnx"), Path(tmp, "settings.json")
        model.write_bytes(graph)
        if not ezkl.gen_settings(str(model), str(settings), py_run_args=_run_args(17)):
            raise ProofError("EZKL could not lay out the circuit: check the circuit shape")
        rows = int(json.loads(settings.read_text())["num_rows"])
    return max(10, (rows + 128).bit_length())


def _setup(graph: bytes, logrows: int, srs: Srs, directory: Path, progress: Progress) -> None:
    """Compile and set up in a child process (zk/child.py: a ticker reports meanwhile) in a
    scratch directory, then move it in (a crash or a cancel leaves no half)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=directory.parent, prefix=".setup-"))
    try:
        (scratch / "model.onnx").write_bytes(graph)
        paths = [str(scratch / name) for name in FILES]
        run_args = json.dumps({**RUN_ARGS, "logrows": logrows})
        run_ezkl(
            SETUP_CHILD,
            [*paths, str(srs.path), run_args],
            progress,
            what="set up the circuit (check the SRS covers its size)",
            estimate_s=None,
        )
        if not all((scratch / name).is_file() for name in FILES):
            raise ProofError("EZKL setup wrote no keys: check the SRS covers the circuit's size")
        if directory.exists():
            shutil.rmtree(directory)
        scratch.replace(directory)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
