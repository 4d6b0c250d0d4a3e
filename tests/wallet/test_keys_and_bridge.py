"""The lender's wallet-derived decryption key, and the bridge a job waits on for the wallet."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from fedlend.errors import JobCancelledError, SignInError, WalletError, WalletRejectedError
from fedlend.wallet.bridge import WalletBridge
from fedlend.wallet.keys import KEY_MESSAGE, keypair_from_signature

ME = Account.from_key("0x" + "d4" * 32)
OTHER = Account.from_key("0x" + "e5" * 32)


def _key_signature(account: LocalAccount = ME, text: str = KEY_MESSAGE) -> str:
    return "0x" + account.sign_message(encode_defunct(text=text)).signature.hex()


def test_the_same_account_always_derives_the_same_key_and_others_another() -> None:
    first = keypair_from_signature(ME.address, _key_signature())
    assert keypair_from_signature(ME.address, _key_signature()) == first  # RFC 6979
    assert keypair_from_signature(OTHER.address, _key_signature(OTHER)).public != first.public
    assert len(first.private) == len(first.public) == 32


@pytest.mark.parametrize(
    "signature",
    ["0x1234", "not hex", _key_signature(OTHER), _key_signature(text="another message")],
)
def test_a_signature_not_by_this_account_over_the_fixed_message_is_refused(signature: str) -> None:
    with pytest.raises(SignInError):
        keypair_from_signature(ME.address, signature)


def _answer_later(bridge: WalletBridge, **answer: object) -> threading.Thread:
    def run() -> None:
        for _ in range(200):
            request = bridge.pending("job1", ME.address)
            if request is not None:
                assert bridge.pending("job1", OTHER.address) is None  # not another account's
                assert not bridge.answer(request.id, OTHER.address, result="0x01", error=None)
                bridge.answer(request.id, ME.address, **answer)  # type: ignore[arg-type]
                return
            threading.Event().wait(0.01)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _ask(bridge: WalletBridge, cancelled: Callable[[], bool] = lambda: False) -> str:
    return bridge.ask(
        job_id="job1",
        address=ME.address,
        kind="send_transaction",
        params=[{}],
        review={"title": "t"},
        cancelled=cancelled,
    )


def test_the_job_gets_the_wallets_answer() -> None:
    bridge = WalletBridge()
    thread = _answer_later(bridge, result="0xabc", error=None)
    assert _ask(bridge) == "0xabc"
    thread.join()
    assert bridge.pending("job1", ME.address) is None


@pytest.mark.parametrize(
    ("error", "raised"),
    [((4001, "User rejected"), WalletRejectedError), ((-32603, "boom"), WalletError)],
)
def test_a_rejection_cancels_and_other_errors_fail(error: tuple, raised: type) -> None:
    bridge = WalletBridge()
    thread = _answer_later(bridge, result=None, error=error)
    with pytest.raises(raised):
        _ask(bridge)
    thread.join()


def test_a_rejection_is_a_cancellation() -> None:
    assert issubclass(WalletRejectedError, JobCancelledError)


def test_no_answer_times_out_and_cancel_stops_waiting() -> None:
    with pytest.raises(WalletError, match="did not answer"):
        _ask(WalletBridge(timeout_s=0.3))
    with pytest.raises(JobCancelledError):
        _ask(WalletBridge(), cancelled=lambda: True)


def test_an_answer_that_is_not_hex_is_refused() -> None:
    bridge = WalletBridge()
    thread = _answer_later(bridge, result="hello", error=None)
    with pytest.raises(WalletError, match="0x-hex"):
        _ask(bridge)
    thread.join()
