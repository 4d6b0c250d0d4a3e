"""Sign-In with Ethereum policy: one-use nonces, this app's domain and chain, the real signer,
an expiry; the `siwe` library parses and verifies with this project's eth-account and web3."""

from __future__ import annotations

import time

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from fedlend.errors import SignInError
from fedlend.wallet.signin import NonceBook, WalletSession, sign_in_message, verify_sign_in

ME = Account.from_key("0x" + "d4" * 32)
OTHER = Account.from_key("0x" + "e5" * 32)
DOMAIN = "127.0.0.1:5001"


def _signed(
    nonces: NonceBook,
    *,
    signer: LocalAccount = ME,
    domain: str = DOMAIN,
    chain_id: int = 31337,
    session_s: float = 60.0,
) -> tuple[str, str]:
    text = sign_in_message(
        domain=domain,
        uri=f"http://{domain}",
        address=ME.address,
        chain_id=chain_id,
        nonce=nonces.issue(),
        session_s=session_s,
    )
    return text, "0x" + signer.sign_message(encode_defunct(text=text)).signature.hex()


def test_a_good_sign_in_binds_a_session_to_the_address_until_the_message_expires() -> None:
    nonces = NonceBook()
    text, signature = _signed(nonces, session_s=120)
    found = verify_sign_in(text, signature, domain=DOMAIN, chain_id=31337, nonces=nonces)
    assert found.address == ME.address
    assert found.chain_id == 31337
    assert 110 < found.expires_at - time.time() <= 120
    assert WalletSession.from_json(found.to_json()) == found


def test_a_nonce_is_used_once() -> None:
    nonces = NonceBook()
    text, signature = _signed(nonces)
    verify_sign_in(text, signature, domain=DOMAIN, chain_id=31337, nonces=nonces)
    with pytest.raises(SignInError, match="already used or has expired"):
        verify_sign_in(text, signature, domain=DOMAIN, chain_id=31337, nonces=nonces)


def test_a_nonce_this_server_never_issued_is_refused() -> None:
    text, signature = _signed(NonceBook())
    with pytest.raises(SignInError, match="already used or has expired"):
        verify_sign_in(text, signature, domain=DOMAIN, chain_id=31337, nonces=NonceBook())


def test_an_old_nonce_expires() -> None:
    nonces = NonceBook(ttl_s=0.05)
    text, signature = _signed(nonces)
    time.sleep(0.1)
    with pytest.raises(SignInError, match="expired"):
        verify_sign_in(text, signature, domain=DOMAIN, chain_id=31337, nonces=nonces)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"domain": "evil.example:443"}, "not this app"),
        ({"chain_id": 1}, "this app uses chain 31337"),
        ({"signer": OTHER}, "refused"),
    ],
)
def test_wrong_domain_chain_or_signer_is_refused(change: dict, expected: str) -> None:
    nonces = NonceBook()
    text, signature = _signed(nonces, **change)
    with pytest.raises(SignInError, match=expected):
        verify_sign_in(text, signature, domain=DOMAIN, chain_id=31337, nonces=nonces)


def test_an_expired_message_is_refused() -> None:
    nonces = NonceBook()
    text, signature = _signed(nonces, session_s=0.01)
    time.sleep(0.05)
    with pytest.raises(SignInError, match="refused"):
        verify_sign_in(text, signature, domain=DOMAIN, chain_id=31337, nonces=nonces)


@pytest.mark.parametrize("text", ["", "not a siwe message", "x" * 5000, None])
def test_garbage_is_refused_with_what_to_do(text: object) -> None:
    with pytest.raises(SignInError, match="Connect wallet again"):
        verify_sign_in(text, "0x00", domain=DOMAIN, chain_id=31337, nonces=NonceBook())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [None, [], {"address": "nope", "chain_id": 1, "expires_at": 1}, {"address": ME.address}],
)
def test_a_malformed_session_cookie_is_no_session(value: object) -> None:
    assert WalletSession.from_json(value) is None


def test_expired_sessions_say_so() -> None:
    assert WalletSession(ME.address, 31337, time.time() - 1).expired()
    assert not WalletSession(ME.address, 31337, time.time() + 60).expired()
