"""Sign-In with Ethereum (EIP-4361): the server writes the message, the wallet signs, we verify.

Parsing and signature checks are the `siwe` library's (package signinwithethereum, the maintained
successor of `siwe`); this module adds the policy: a single-use server nonce that expires, the
domain and URI of this app, the configured chain, and a session bound to the address that ends
when the message expires.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eth_utils import is_address, to_checksum_address
from siwe import SiweMessage, VerificationError, generate_nonce  # type: ignore[import-untyped]

from fedlend.errors import SignInError

STATEMENT = (
    "Sign in to this fedlend app. This proves you hold the account; it sends no transaction "
    "and costs nothing."
)
NONCE_TTL_S = 300.0
DEFAULT_SESSION_S = 8 * 3600
MAX_MESSAGE_CHARS = 2048
MAX_OPEN_NONCES = 1000


@dataclass(frozen=True)
class WalletSession:
    """Who is signed in, for which chain, until when (unix seconds)."""

    address: str
    chain_id: int
    expires_at: float

    def expired(self, now: float | None = None) -> bool:
        """True once the sign-in is no longer valid."""
        return (time.time() if now is None else now) >= self.expires_at

    def to_json(self) -> dict[str, object]:
        """What the Flask session stores."""
        return {"address": self.address, "chain_id": self.chain_id, "expires_at": self.expires_at}

    @classmethod
    def from_json(cls, value: object) -> WalletSession | None:
        """A session from the cookie, or None if it is missing or malformed."""
        if not isinstance(value, dict):
            return None
        address, chain, expires = (
            value.get("address"),
            value.get("chain_id"),
            value.get("expires_at"),
        )
        if not (isinstance(address, str) and is_address(address)):
            return None
        if not isinstance(chain, int) or not isinstance(expires, int | float):
            return None
        return cls(to_checksum_address(address), chain, float(expires))


class NonceBook:
    """Server nonces: each issued once, usable once, for NONCE_TTL_S seconds."""

    def __init__(self, *, ttl_s: float = NONCE_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._open: dict[str, float] = {}

    def issue(self) -> str:
        """A fresh random nonce (alphanumeric, as EIP-4361 requires)."""
        now = time.monotonic()
        with self._lock:
            self._open = {n: t for n, t in self._open.items() if now - t < self.ttl_s}
            if len(self._open) >= MAX_OPEN_NONCES:
                raise SignInError("too many sign-ins are under way: wait a few minutes")
            nonce = generate_nonce()
            self._open[nonce] = now
        return nonce

    def take(self, nonce: str) -> None:
        """Use a nonce up; SignInError if it was never issued, is used or has expired."""
        with self._lock:
            issued = self._open.pop(nonce, None)
        if issued is None or time.monotonic() - issued >= self.ttl_s:
            raise SignInError(
                "this sign-in request was already used or has expired: click Connect wallet again"
            )


def sign_in_message(
    *, domain: str, uri: str, address: str, chain_id: int, nonce: str, session_s: float
) -> str:
    """The EIP-4361 text the wallet is asked to sign."""
    if not is_address(address):
        raise SignInError("the wallet gave no valid account address: reconnect the wallet")
    now = datetime.now(UTC)
    message = SiweMessage(
        domain=domain,
        address=to_checksum_address(address),
        statement=STATEMENT,
        uri=uri,
        version="1",
        chain_id=chain_id,
        nonce=nonce,
        issued_at=_iso(now),
        expiration_time=_iso(now + timedelta(seconds=session_s)),
    )
    return message.prepare_message()


def verify_sign_in(
    text: str, signature: str, *, domain: str, chain_id: int, nonces: NonceBook
) -> WalletSession:
    """Parse and check a signed sign-in message; the nonce is used up either way."""
    if not isinstance(text, str) or not isinstance(signature, str) or len(text) > MAX_MESSAGE_CHARS:
        raise SignInError("the sign-in message is missing or too long: click Connect wallet again")
    try:
        message = SiweMessage.from_message(text)
    except Exception as exc:  # the parser raises ValueError and pydantic errors
        raise SignInError("the sign-in message is malformed: click Connect wallet again") from exc
    nonces.take(message.nonce)
    if message.domain != domain:
        raise SignInError(
            f"the sign-in message is for {message.domain}, not this app ({domain}): "
            "a page elsewhere may have asked you to sign it; sign in from this app"
        )
    if int(message.chain_id) != chain_id:
        raise SignInError(
            f"you signed in on chain {message.chain_id}, but this app uses chain {chain_id}: "
            "switch your wallet to that chain and connect again"
        )
    try:
        message.verify(signature, domain=domain, nonce=message.nonce)
    except VerificationError as exc:
        raise SignInError(
            f"the sign-in was refused ({type(exc).__name__}): click Connect wallet again"
        ) from exc
    expires = message.expiration_time
    expires_at = datetime.fromisoformat(str(expires).replace("Z", "+00:00")).timestamp()
    return WalletSession(to_checksum_address(message.address), chain_id, expires_at)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
