"""WalletBridge: a background job asks the signed-in browser wallet to send or sign, and waits.

A job (posting a bounty, training an update, evaluating) runs on a server thread; when it needs a
transaction sent or data signed it calls `ask()`, which blocks. The job's page polls `pending()`,
shows the review screen, hands the request to the wallet (EIP-1193) and posts the outcome back with
`answer()`. A rejection in the wallet (code 4001) ends the job as cancelled, not failed.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fedlend.errors import JobCancelledError, WalletError, WalletRejectedError

USER_REJECTED = 4001  # EIP-1193: the user rejected the request
KINDS = frozenset({"send_transaction", "sign_typed_data", "personal_sign"})
DEFAULT_TIMEOUT_S = 15 * 60.0
POLL_S = 0.25


@dataclass(frozen=True)
class WalletRequest:
    """What a job asks of the wallet; `review` is what the page shows before the wallet opens."""

    id: str
    job_id: str
    address: str
    kind: str
    params: Any
    review: dict[str, Any]
    created_at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        """What GET /wallet/requests/<job> returns."""
        return {
            "id": self.id,
            "job_id": self.job_id,
            "address": self.address,
            "kind": self.kind,
            "params": self.params,
            "review": self.review,
        }


@dataclass
class _Slot:
    request: WalletRequest
    done: threading.Event = field(default_factory=threading.Event)
    result: str | None = None
    error: tuple[int, str] | None = None


class WalletBridge:
    """In-memory, per app: at most one open request per job; answers checked against the address."""

    def __init__(self, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._by_job: dict[str, _Slot] = {}

    def ask(
        self,
        *,
        job_id: str,
        address: str,
        kind: str,
        params: Any,
        review: dict[str, Any],
        cancelled: Callable[[], bool] = lambda: False,
    ) -> str:
        """Block until the wallet answers; return its result (a tx hash or a 0x signature)."""
        if kind not in KINDS:
            raise WalletError(f"unknown wallet request {kind!r}")
        slot = _Slot(WalletRequest(secrets.token_hex(8), job_id, address, kind, params, review))
        with self._lock:
            self._by_job[job_id] = slot
        deadline = time.monotonic() + self.timeout_s
        try:
            while not slot.done.wait(POLL_S):
                if cancelled():
                    raise JobCancelledError("the job was cancelled while waiting for the wallet")
                if time.monotonic() > deadline:
                    raise WalletError(
                        f"the wallet did not answer within {self.timeout_s / 60:.0f} minutes: "
                        "nothing was sent; start the action again with the page open"
                    )
        finally:
            with self._lock:
                self._by_job.pop(job_id, None)
        return _outcome(slot)

    def pending(self, job_id: str, address: str) -> WalletRequest | None:
        """The open request of a job, if it belongs to `address`."""
        with self._lock:
            slot = self._by_job.get(job_id)
        if slot is None or slot.request.address.lower() != address.lower():
            return None
        return slot.request

    def answer(
        self, request_id: str, address: str, *, result: str | None, error: tuple[int, str] | None
    ) -> bool:
        """Deliver the wallet's outcome; False if no such open request for this address."""
        with self._lock:
            slot = next(
                (
                    s
                    for s in self._by_job.values()
                    if s.request.id == request_id and not s.done.is_set()
                ),
                None,
            )
        if slot is None or slot.request.address.lower() != address.lower():
            return False
        slot.result, slot.error = result, error
        slot.done.set()
        return True


def _outcome(slot: _Slot) -> str:
    if slot.error is not None:
        code, message = slot.error
        if code == USER_REJECTED:
            what = "transaction" if slot.request.kind == "send_transaction" else "signature"
            raise WalletRejectedError(
                f"you rejected the {what} in your wallet: nothing was sent or signed"
            )
        raise WalletError(f"the wallet refused ({code}): {message[:200]}")
    if not isinstance(slot.result, str) or not slot.result.startswith("0x"):
        raise WalletError("the wallet's answer is not a 0x-hex string: try again")
    return slot.result
