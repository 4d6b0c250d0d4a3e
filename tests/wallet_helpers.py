"""A small EIP-1193 test wallet for browser tests (served only in tests, injected by Playwright).

The page sees a wallet announced over EIP-6963. Account and chain questions it answers itself
(so a test can put it on the wrong chain or switch account); everything else goes to the real
Anvil through a Playwright binding, and Anvil signs with the dev account's test key
(eth_sendTransaction, personal_sign, eth_signTypedData_v4). A method named in `reject` answers
with EIP-1193 code 4001, as a user pressing "Reject" in a wallet would.

    wallet = InjectedWallet.install(context, rpc_url, dev_account(1).address)
    wallet.reject("eth_sendTransaction"); wallet.switch_account(page, other)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

LOCAL_CHAIN = "0x7a69"  # 31337

PROVIDER_JS = (Path(__file__).parent / "wallet_provider.js").read_text()


@dataclass
class InjectedWallet:
    """The test wallet of one browser context, forwarding to Anvil at `rpc_url`."""

    rpc_url: str
    sent: list[str] = field(default_factory=list)  # methods forwarded to Anvil, in order

    @classmethod
    def install(
        cls, context: BrowserContext, rpc_url: str, account: str, *, chain: str = LOCAL_CHAIN
    ) -> InjectedWallet:
        """Inject the wallet into every page of `context`, answering for `account`."""
        wallet = cls(rpc_url)
        context.expose_function("__fedlendTestRpc", wallet.forward)
        script = PROVIDER_JS % {
            "account": json.dumps(account),
            "chain": json.dumps(chain),
            "local": json.dumps(LOCAL_CHAIN),
        }
        context.add_init_script(script)
        return wallet

    def forward(self, method: str, params: list[Any]) -> dict[str, Any]:
        """One wallet request, answered by Anvil (an unlocked dev account): result or error."""
        self.sent.append(method)
        if method == "eth_signTypedData_v4" and isinstance(params[1], str):
            params = [params[0], json.loads(params[1])]
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        reply = requests.post(self.rpc_url, json=body, timeout=30).json()
        if "error" in reply:
            return {
                "error": {
                    "code": reply["error"].get("code", -32603),
                    "message": str(reply["error"]),
                }
            }
        return {"result": reply["result"]}

    @staticmethod
    def reject(page: Page, method: str, on: bool = True) -> None:
        """Make the wallet refuse `method` with code 4001 (or accept it again)."""
        page.evaluate("([m, on]) => window.__testWallet.reject(m, on)", [method, on])

    @staticmethod
    def switch_account(page: Page, address: str) -> None:
        """Switch the wallet's account (emits accountsChanged)."""
        page.evaluate("(a) => window.__testWallet.switchAccount(a)", address)

    @staticmethod
    def calls(page: Page) -> list[str]:
        """Every method the pages of this tab asked the wallet for, in order (across reloads)."""
        return page.evaluate("() => window.__testWallet.state.calls")
