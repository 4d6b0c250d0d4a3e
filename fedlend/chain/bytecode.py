"""Is deployed code a compiled artifact's? Compare runtime bytecode with its immutables masked."""

from __future__ import annotations

from dataclasses import dataclass

from fedlend.chain.compile import Artifact

MAX_CODE_BYTES = 1 << 16  # EIP-170 caps runtime code at 24 KiB; anything larger is not ours


@dataclass(frozen=True)
class CodeMatch:
    """Whether `code` is the artifact's runtime code, and the immutables the constructor wrote."""

    matches: bool
    immutables: tuple[tuple[str, bytes], ...]  # name -> the 32-byte word (only when it matches)

    def word(self, name: str) -> bytes | None:
        """One immutable's value, or None if the code did not match or has no such immutable."""
        return dict(self.immutables).get(name)


def match_runtime(code: bytes, artifact: Artifact) -> CodeMatch:
    """Compare `code` (as deployed) with the artifact's runtime bytecode, every immutable span
    masked; on a match, read each immutable's value (all of its spans must agree)."""
    expected = bytes.fromhex(artifact.deployed_bytecode.removeprefix("0x"))
    if len(code) != len(expected) or len(code) > MAX_CODE_BYTES:
        return CodeMatch(False, ())
    spans = [span for _, spans in artifact.immutables for span in spans]
    if _masked(code, spans) != _masked(expected, spans):
        return CodeMatch(False, ())
    values = []
    for name, name_spans in artifact.immutables:
        words = {code[start : start + length] for start, length in name_spans}
        if len(words) != 1:
            return CodeMatch(False, ())
        values.append((name, words.pop()))
    return CodeMatch(True, tuple(values))


def _masked(code: bytes, spans: list[tuple[int, int]]) -> bytes:
    out = bytearray(code)
    for start, length in spans:
        out[start : start + length] = bytes(length)
    return bytes(out)
