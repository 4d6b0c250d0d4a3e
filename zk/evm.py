"""The EVM verifier of a circuit: EZKL writes its Solidity (the project's solc-js compiles it)."""

from __future__ import annotations

import subprocess
import sys

from fedlend_core.errors import ProofError
from zk.keys import CircuitKeys

VERIFIER_FILE = "Verifier.sol"
VERIFIER_CONTRACT = "Halo2Verifier"
GENERATE_TIMEOUT = 300.0
# ezkl.create_evm_verifier writes the .sol, then tries to download a native solc and may abort
# the interpreter: so it runs in a child process, and only the .sol it wrote is kept.
_SCRIPT = """
import asyncio, sys, ezkl
async def main():
    try:
        await ezkl.create_evm_verifier(*sys.argv[1:6])
    except Exception:
        pass
asyncio.run(main())
"""


def verifier_source(keys: CircuitKeys) -> str:
    """The Halo2Verifier Solidity of `keys`' verifying key (generated once, kept with the keys)."""
    path = keys.directory / VERIFIER_FILE
    if not path.is_file():
        partial = keys.directory / "Verifier.partial.sol"
        partial.unlink(missing_ok=True)
        args = [keys.file("vk.key"), keys.file("settings.json"), str(partial)]
        args += [str(keys.directory / "verifier_abi.json"), str(keys.srs.path)]
        subprocess.run(
            [sys.executable, "-c", _SCRIPT, *args],
            capture_output=True,
            timeout=GENERATE_TIMEOUT,
            check=False,
        )
        text = partial.read_text() if partial.is_file() else ""
        if f"contract {VERIFIER_CONTRACT}" not in text or not text.rstrip().endswith("}"):
            raise ProofError("EZKL did not write the verifier's Solidity: rerun the setup")
        partial.replace(path)
    return path.read_text()
