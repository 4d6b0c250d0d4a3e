"""Etherscan-style exports become a History; any other shape is refused with what to do."""

from __future__ import annotations

import pytest

from fedlend.errors import DataError
from signals.etherscan import parse_exports
from signals.features import CONTRACT_FEATURES, compute_features

ME = "0x" + "a" * 40
BOB = "0x" + "b" * 40
TOKEN = "0x" + "e" * 40
NORMAL_HEADER = (
    '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","ContractAddress",'
    '"Value_IN(ETH)","Value_OUT(ETH)","CurrentValue @ $3000/Eth","TxnFee(ETH)","Status","Method"'
)
TOKEN_HEADER = (
    '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","TokenValue",'
    '"USDValueDayOfTx","ContractAddress","TokenName","TokenSymbol"'
)


def _h(n: int) -> str:
    return f"0x{n:064x}"


NORMAL = "\n".join(
    [
        NORMAL_HEADER,
        f'"{_h(1)}","10","1600000000","2020-09-13","{BOB}","{ME}","","1,250.5","0","0","0","",""',
        f'"{_h(2)}","11","1600000600","2020-09-13","{ME}","{BOB}","","0","2","0","0","",""',
        f'"{_h(3)}","12","1600001200","2020-09-13","{ME}","{BOB}","","0","9","0","0","Error(0)",""',
    ]
).encode()
TOKENS = "\n".join(
    [
        TOKEN_HEADER,
        f'"{_h(4)}","13","1600001800","2020-09-13","{BOB}","{ME}","1,000","0","{TOKEN}","Tok","TOK"',
    ]
).encode()


def test_normal_and_token_exports_combine() -> None:
    history = parse_exports(ME.upper().replace("0X", "0x"), [("n.csv", NORMAL), ("t.csv", TOKENS)])
    assert len(history.transactions) == 2  # the failed one is skipped
    assert any("skipped" in n for n in history.notes)
    vector = compute_features(history)
    f = vector.as_dict()
    assert f["total ether received"] == 1250.5
    assert f["Sent tnx"] == 1
    assert f["ERC20 total Ether received"] == 1000
    assert f["ERC20 uniq rec token name"] == 1
    assert vector.unavailable == CONTRACT_FEATURES  # Etherscan exports do not say


def test_utf8_bom_is_accepted() -> None:
    history = parse_exports(ME, [("n.csv", b"\xef\xbb\xbf" + NORMAL)])
    assert len(history.transactions) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Address,FLAG\n0x1,1\n", "not an Etherscan transactions export"),
        (b"", "not an Etherscan transactions export"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (NORMAL.replace(BOB.encode(), b"0xnothex", 1), "not an address"),
        (NORMAL.replace(_h(1).encode(), b"0x12", 1), "transaction hash"),
        (NORMAL.replace(b'"1,250.5"', b'"-3"'), "non-negative"),
        (NORMAL.replace(b'"10"', b'"ten"'), "line 2"),
    ],
    ids=["other-csv", "empty", "binary", "bad-address", "bad-hash", "negative", "bad-block"],
)
def test_wrong_shapes_are_refused(content: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_exports(ME, [("upload.csv", content)])


def test_bad_address_is_refused() -> None:
    with pytest.raises(DataError, match="not an address"):
        parse_exports("0x12", [("n.csv", NORMAL)])
