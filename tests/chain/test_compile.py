"""The solc standard-JSON driver: real solc-js compiles, a disk cache, formatted compile errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fedlend.chain.compile import COMPILER_SETTINGS, compile_contracts, find_compiler, load_artifact
from fedlend.errors import CompileError

GOOD = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
contract Counter { uint256 public count; function bump() external { count += 1; } }
"""
BROKEN = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
contract Broken { function f() external { undefinedThing = 1; } }
"""


def test_model_repository_artifact_has_the_agreed_interface() -> None:
    artifact = load_artifact("ModelRepository")
    names = {item["name"] for item in artifact.abi if item["type"] in {"function", "event"}}
    assert {
        "createModel",
        "submitUpdate",
        "evaluateUpdate",
        "reclaim",
        "withdraw",
        "modelCount",
        "getModel",
        "getUpdate",
        "updateCount",
        "owed",
        "ModelCreated",
        "UpdateSubmitted",
        "UpdateEvaluated",
        "ModelCompleted",
        "BountyReclaimed",
        "Withdrawn",
    } <= names
    errors = [item["name"] for item in artifact.abi if item["type"] == "error"]
    assert errors
    assert all(name.startswith("ModelRepository") for name in errors)
    assert artifact.bytecode.startswith("0x60")
    assert len(artifact.deployed_bytecode) > 1000
    assert COMPILER_SETTINGS["evmVersion"] in {"cancun", "prague"}
    assert COMPILER_SETTINGS["optimizer"] == {"enabled": True, "runs": 200}


def test_cache_is_used_and_keyed_by_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, build = tmp_path / "contracts", tmp_path / "build"
    src.mkdir()
    (src / "Counter.sol").write_text(GOOD)
    first = compile_contracts(contracts_dir=src, build_dir=build)
    assert set(first) == {"Counter"}
    [entry] = list(build.glob("*.json"))
    assert json.loads(entry.read_text())["compiler"] == find_compiler().label
    monkeypatch.setenv("PATH", "")  # no node now: only the cache can answer
    assert compile_contracts(contracts_dir=src, build_dir=build) == first
    (src / "Counter.sol").write_text(GOOD.replace("count += 1", "count += 2"))
    with pytest.raises(CompileError, match="node is not on PATH"):
        compile_contracts(contracts_dir=src, build_dir=build)  # new source: a new key, a miss


def test_damaged_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    src, build = tmp_path / "contracts", tmp_path / "build"
    src.mkdir()
    (src / "Counter.sol").write_text(GOOD)
    first = compile_contracts(contracts_dir=src, build_dir=build)
    [entry] = list(build.glob("*.json"))
    entry.write_text("{truncated")
    assert compile_contracts(contracts_dir=src, build_dir=build) == first
    assert json.loads(entry.read_text())["contracts"]["Counter"]["abi"]


def test_compile_errors_carry_solc_formatted_message(tmp_path: Path) -> None:
    src = tmp_path / "contracts"
    src.mkdir()
    (src / "Broken.sol").write_text(BROKEN)
    with pytest.raises(CompileError) as info:
        compile_contracts(contracts_dir=src, build_dir=tmp_path / "build")
    message = str(info.value)
    assert "DeclarationError" in message
    assert "undefinedThing" in message
    assert "Broken.sol:3" in message


def test_no_sources_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CompileError, match="no Solidity sources"):
        compile_contracts(contracts_dir=tmp_path, build_dir=tmp_path / "build")


def test_test_contracts_compile_separately() -> None:
    with_tests = compile_contracts(include_tests=True)
    assert {"ModelRepository", "ReentrantWithdrawer", "RevertingReceiver"} <= set(with_tests)
    assert "ReentrantWithdrawer" not in compile_contracts()
    with pytest.raises(CompileError, match="no contract named Nope"):
        load_artifact("Nope")
