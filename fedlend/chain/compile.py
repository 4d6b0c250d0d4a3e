"""Compile contracts/ via solc's standard-JSON API (solc-js through node, or native solc)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fedlend.errors import CompileError
from fedlend.settings import ROOT

CONTRACTS_DIR = ROOT / "contracts"
BUILD_DIR = ROOT / "build" / "contracts"
NODE_MODULES = ROOT / "node_modules"
SOLC_JS_SHIM = Path(__file__).with_name("solc_standard_json.js")
EVM_VERSION = "prague"  # runs on Anvil 1.7.1's default (latest) hardfork; has transient storage
MIN_NATIVE_VERSION = (0, 8, 28)  # `transient` state variables
COMPILE_TIMEOUT = 120.0
COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "viaIR": True,  # ~1k less gas per call than the legacy pipeline, 25% smaller code
    "evmVersion": EVM_VERSION,
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "evm.bytecode.object",
                "evm.deployedBytecode.object",
                "evm.deployedBytecode.immutableReferences",
            ],
            "": ["ast"],  # only to name the immutables (kept: name -> offsets, not the AST)
        },
    },
}


@dataclass(frozen=True)
class Artifact:
    """One compiled contract: its ABI, 0x-prefixed creation and runtime bytecode, and where in
    the runtime code the constructor writes each immutable (name -> (start, length) byte spans)."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    immutables: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = ()


@dataclass(frozen=True)
class Compiler:
    """A solc that speaks standard JSON: solc-js through node, or a native binary via py-solc-x."""

    kind: str  # "solc-js" or "native"
    version: str

    @property
    def label(self) -> str:
        """A name for cache keys and messages, e.g. 'solc-js 0.8.37'."""
        return f"{self.kind} {self.version}"


def compile_contracts(
    *,
    include_tests: bool = False,
    contracts_dir: Path = CONTRACTS_DIR,
    build_dir: Path | None = None,
    compiler: Compiler | None = None,
) -> dict[str, Artifact]:
    """Every contract in contracts/ (plus contracts/test/ if asked), by name; cached on disk.

    The cache key is sha256(sources + compiler version + settings): an edit recompiles.
    """
    sources = _read_sources(contracts_dir, include_tests=include_tests)
    compiler = compiler or find_compiler()
    build_dir = BUILD_DIR if build_dir is None else build_dir
    cache_file = build_dir / f"{_cache_key(sources, compiler)}.json"
    return _cached_compile(cache_file, _standard_input(sources), compiler)


def _cached_compile(
    cache_file: Path, standard_input: dict[str, Any], compiler: Compiler
) -> dict[str, Artifact]:
    """The artifacts cached in `cache_file`, or compiled now and cached there."""
    if cache_file.exists():
        try:
            return _artifacts(json.loads(cache_file.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged cache entry is rebuilt below
    output = _run_compiler(standard_input, compiler)
    cached = {"compiler": compiler.label, "contracts": _collect(output)}
    _write_atomic(cache_file, json.dumps(cached))
    return _artifacts(cached)


def load_artifact(name: str = "ModelRepository", *, include_tests: bool = False) -> Artifact:
    """One compiled contract by name (compiling, or reading the cache, as needed)."""
    artifacts = compile_contracts(include_tests=include_tests or name not in _production_names())
    if name not in artifacts:
        raise CompileError(f"no contract named {name} in {CONTRACTS_DIR}: check the name")
    return artifacts[name]


def compile_source(
    file_name: str, source: str, *, evm_version: str, build_dir: Path | None = None
) -> dict[str, Artifact]:
    """One generated Solidity file (e.g. EZKL's verifier), compiled without viaIR for
    `evm_version`; cached on disk like compile_contracts."""
    settings = {**COMPILER_SETTINGS, "viaIR": False, "evmVersion": evm_version}
    compiler = find_compiler()
    build_dir = BUILD_DIR if build_dir is None else build_dir
    material = json.dumps({"source": source, "compiler": compiler.label, "settings": settings})
    cache_file = build_dir / f"{hashlib.sha256(material.encode()).hexdigest()}.json"
    standard = {
        "language": "Solidity",
        "sources": {file_name: {"content": source}},
        "settings": settings,
    }
    return _cached_compile(cache_file, standard, compiler)


def find_compiler() -> Compiler:
    """A native solc >= 0.8.28 installed through py-solc-x if there is one, else solc-js."""
    native = _native_version()
    if native:
        return Compiler("native", native)
    return Compiler("solc-js", _solc_js_version())


@lru_cache(maxsize=1)
def _production_names() -> frozenset[str]:
    return frozenset(path.stem for path in CONTRACTS_DIR.glob("*.sol"))


def _read_sources(contracts_dir: Path, *, include_tests: bool) -> dict[str, str]:
    paths = sorted(contracts_dir.glob("*.sol"))
    if include_tests:
        paths += sorted((contracts_dir / "test").glob("*.sol"))
    if not paths:
        raise CompileError(f"no Solidity sources in {contracts_dir}: is this a fedlend checkout?")
    return {path.relative_to(contracts_dir).as_posix(): path.read_text() for path in paths}


def _standard_input(sources: dict[str, str]) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": COMPILER_SETTINGS,
    }


def _cache_key(sources: dict[str, str], compiler: Compiler) -> str:
    material = json.dumps(
        {"sources": sources, "compiler": compiler.label, "settings": COMPILER_SETTINGS},
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()


def _run_compiler(standard_input: dict[str, Any], compiler: Compiler) -> dict[str, Any]:
    if compiler.kind == "native":
        return _run_native(standard_input, compiler.version)
    return _run_solc_js(standard_input)


def _run_solc_js(standard_input: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [_node(), str(SOLC_JS_SHIM)],
        input=json.dumps(standard_input),
        capture_output=True,
        text=True,
        timeout=COMPILE_TIMEOUT,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        check=False,
    )
    if proc.returncode != 0:
        raise CompileError(f"solc-js failed: {proc.stderr.strip()[-800:]}; run `make setup`")
    try:
        output = json.loads(proc.stdout)
    except ValueError as exc:
        raise CompileError(f"solc-js printed something that is not JSON: {exc}") from exc
    _raise_on_errors(output)
    return output


def _run_native(standard_input: dict[str, Any], version: str) -> dict[str, Any]:
    import solcx
    from solcx.exceptions import SolcError

    try:
        output = solcx.compile_standard(standard_input, solc_version=version)
    except SolcError as exc:
        raise CompileError(f"solc {version} failed:\n{exc.stdout_data or exc}") from exc
    _raise_on_errors(output)
    return output


def _raise_on_errors(output: dict[str, Any]) -> None:
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        text = "\n".join(e.get("formattedMessage") or e.get("message", "") for e in errors)
        raise CompileError(f"Solidity compilation failed:\n{text.strip()}")


def _collect(output: dict[str, Any]) -> dict[str, dict[str, Any]]:
    names = _immutable_names(output)
    collected: dict[str, dict[str, Any]] = {}
    for contracts in output.get("contracts", {}).values():
        for name, data in contracts.items():
            runtime = data["evm"]["deployedBytecode"]
            references = runtime.get("immutableReferences") or {}
            collected[name] = {
                "abi": data["abi"],
                "bytecode": "0x" + data["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + runtime["object"],
                "immutables": {
                    names.get(int(ast_id), f"#{ast_id}"): [[r["start"], r["length"]] for r in spans]
                    for ast_id, spans in references.items()
                },
            }
    return collected


def _immutable_names(output: dict[str, Any]) -> dict[int, str]:
    """AST id -> name of every immutable state variable in the compiled sources."""
    names: dict[int, str] = {}
    stack: list[Any] = [source.get("ast") for source in output.get("sources", {}).values()]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("nodeType") == "VariableDeclaration" and node.get("mutability") == (
                "immutable"
            ):
                names[int(node["id"])] = str(node["name"])
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
    return names


def _artifacts(cached: dict[str, Any]) -> dict[str, Artifact]:
    return {
        name: Artifact(
            name,
            data["abi"],
            data["bytecode"],
            data["deployedBytecode"],
            tuple(
                (label, tuple((int(start), int(length)) for start, length in spans))
                for label, spans in sorted(data.get("immutables", {}).items())
            ),
        )
        for name, data in cached["contracts"].items()
    }


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise CompileError("node is not on PATH: install Node.js 20, then run `make setup`")
    return node


@lru_cache(maxsize=1)
def _solc_js_version() -> str:
    package = NODE_MODULES / "solc" / "package.json"
    try:
        return str(json.loads(package.read_text())["version"])
    except (OSError, ValueError, KeyError) as exc:
        raise CompileError(f"solc-js is not installed ({package}): run `make setup`") from exc


def _native_version() -> str | None:
    try:
        import solcx

        versions = solcx.get_installed_solc_versions()
    except Exception:
        return None
    usable = [v for v in versions if (v.major, v.minor, v.micro) >= MIN_NATIVE_VERSION]
    return str(max(usable)) if usable else None
