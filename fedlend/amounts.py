"""ETH amounts in words: the one rounding rule every page, message and job uses."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from fedlend_core.units import WEI_PER_ETH

MISSING = "—"


def eth_rounded(wei: int | None) -> str:
    """The UI's one ETH formatter: about 4 significant decimals (1.653620352 ETH -> '1.6536 ETH',
    0.000123456 ETH -> '0.0001235 ETH'); pages show the exact amount on hover and copy."""
    if wei is None:
        return MISSING
    value = Decimal(int(wei)) / WEI_PER_ETH
    if value == 0:
        return "0 ETH"
    places = 4 if abs(value) >= 1 else min(18, 3 - abs(value).adjusted())
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    whole, _, decimals = f"{abs(rounded):f}".partition(".")
    decimals = decimals.rstrip("0")
    sign = "-" if rounded < 0 else ""
    return f"{sign}{int(whole):,}{'.' if decimals else ''}{decimals} ETH"
