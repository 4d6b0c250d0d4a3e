"""The new-bounty form: every field checked server-side, with a message that says what to enter."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from fedlend.services.bounty_terms import MAX_TITLE, BountyTerms
from fedlend.types import MAX_SCORE, WEI_PER_ETH
from fedlend.web.filters import eth, utc

MIN_LEAD_S = 300  # a deadline at least 5 minutes ahead: posting itself takes a little while
MAX_LEAD_S = 366 * 86_400
MAX_NUMBER = Decimal(10) ** 30  # beyond any balance or horizon: refused before arithmetic
MODEL_KINDS = {"logreg": "Logistic regression", "mlp": "Small neural network (MLP)"}
METRICS = {"roc_auc": "ROC-AUC (recommended)", "accuracy": "Accuracy"}
BASES = {
    "own-data": "Train on part of my own data (the rest stays for validation)",
    "zero": "Start from zero (all weights 0)",
}
DEFAULTS = {
    "title": "",
    "model_kind": "logreg",
    "metric": "roc_auc",
    "base": "own-data",
    "base_share": "50",
    "target": "",
    "bounty_eth": "",
    "deadline_mode": "hours",
    "deadline_hours": "24",
    "deadline_at": "",
    "post_id": "",  # a client-side id per form: posting it twice finds the first bounty
    "review_days": "7",
    "verified": "",  # the checkbox: "on" = prove every round's score (logistic regression only)
}
# digits, one dot, optional sign and exponent: no "_", " " or "," (re.ASCII: no other digits)
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
POST_ID = re.compile(r"[0-9a-f]{32}")


def form_values(form: Mapping[str, str]) -> dict[str, str]:
    """The form's fields as trimmed strings, defaults filled in (what the template re-shows);
    a missing or malformed post id is replaced by a fresh one."""
    values = {name: str(form.get(name, default)).strip() for name, default in DEFAULTS.items()}
    if not POST_ID.fullmatch(values["post_id"]):
        values["post_id"] = secrets.token_hex(16)
    return values


def choice_errors(values: Mapping[str, str]) -> dict[str, str]:
    """Errors in the three drop-downs (also checked before a preview)."""
    errors = {}
    for name, allowed in (("model_kind", MODEL_KINDS), ("metric", METRICS), ("base", BASES)):
        if values[name] not in allowed:
            errors[name] = f"Choose one of: {', '.join(allowed.values())}."
    return errors


def parse_terms(
    values: Mapping[str, str], *, chain_time: int, balance_wei: int
) -> tuple[BountyTerms | None, dict[str, str]]:
    """(terms, {}) when every field is valid, else (None, {field: message})."""
    errors = choice_errors(values)
    verified = values["verified"] == "on"
    if verified and values["model_kind"] != "logreg":
        errors["verified"] = (
            "Only a logistic regression can be verified: choose “Logistic regression” above, "
            "or untick “verified”."
        )
    title = values["title"]
    if not title or len(title) > MAX_TITLE:
        errors["title"] = f"Give the bounty a title of 1 to {MAX_TITLE} characters."
    checks = {
        "base_share": lambda: parse_share(values["base_share"]),
        "target": lambda: parse_target(values["target"]),
        "bounty_eth": lambda: parse_eth(values["bounty_eth"], balance_wei=balance_wei),
        "deadline": lambda: parse_deadline(values, chain_time=chain_time),
        "review_days": lambda: parse_review(values["review_days"]),
    }
    parsed: dict[str, object] = {}
    for name, check in checks.items():
        try:
            parsed[name] = check()
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        return None, errors
    terms = BountyTerms(
        title=title,
        model_kind=values["model_kind"],
        metric=values["metric"],
        base=values["base"],
        base_fraction=parsed["base_share"],  # type: ignore[arg-type]
        target_score=parsed["target"],  # type: ignore[arg-type]
        bounty_wei=parsed["bounty_eth"],  # type: ignore[arg-type]
        deadline=parsed["deadline"],  # type: ignore[arg-type]
        review_period=parsed["review_days"],  # type: ignore[arg-type]
        verified=verified,
    )
    return terms, {}


def parse_review(text: str) -> int:
    """The review period in seconds, from days (1 hour to 30 days, as the contract allows)."""
    days = _decimal(text, "the review period in days")
    seconds = int(days * 86_400)
    if not 3_600 <= seconds <= 30 * 86_400:
        raise ValueError(
            "The review period must be 1 hour (0.0417 days) to 30 days: the time after the "
            "deadline within which you promise to evaluate every update."
        )
    return seconds


def _decimal(text: str, what: str) -> Decimal:
    """A plain decimal with a dot: "1,5" (comma decimal or thousands?) is refused, not guessed."""
    if "," in text:
        raise ValueError(
            f"Enter {what} with a dot for decimals and no thousands separators: "
            f"{text!r:.40} is ambiguous (1,5 could mean 1.5 or 15)."
        )
    if not PLAIN_NUMBER.fullmatch(text):
        raise ValueError(f"Enter {what} as a plain number such as 1.5 (digits and one dot).")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"Enter {what} as a plain number.") from None
    if not value.is_finite() or abs(value) > MAX_NUMBER:
        raise ValueError(f"Enter {what} as a plain number of sensible size.")
    return value


def parse_target(text: str) -> int:
    """'0.72' -> 7200 basis points; in (0, 1] with at most four decimals."""
    if not text:
        raise ValueError("Enter the target score, a number between 0 and 1 such as 0.72.")
    value = _decimal(text, "the target score")
    if not 0 < value <= 1:
        raise ValueError(
            f"The target score must be above 0 and at most 1 (you entered {text}); "
            "for example 0.72 for a ROC-AUC of 0.72."
        )
    bps = value * MAX_SCORE
    if bps != bps.to_integral_value():
        raise ValueError("Give the target score with at most four decimals (e.g. 0.7125).")
    return int(bps)


def parse_eth(text: str, *, balance_wei: int) -> int:
    """'1.5' -> exact wei; more than 0, at most 18 decimals, within the account's balance."""
    if not text:
        raise ValueError("Enter the bounty in ETH, e.g. 1.5.")
    wei = _decimal(text, "the bounty") * WEI_PER_ETH
    if wei <= 0:
        raise ValueError("The bounty must be more than 0 ETH: it is what you pay for improvements.")
    if wei != wei.to_integral_value():
        raise ValueError("ETH has at most 18 decimals; shorten the amount.")
    if int(wei) > balance_wei:
        raise ValueError(
            f"The bounty is more than this account's balance ({eth(balance_wei)}), which must "
            "also pay the gas."
        )
    return int(wei)


def parse_share(text: str) -> float:
    """'50' (percent of the lender's loans used to train the base model) -> 0.5."""
    value = _decimal(text or "50", "the training share")
    if not 10 <= value <= 90:
        raise ValueError("Use between 10% and 90% of your loans to train the base model.")
    return float(value) / 100


def parse_deadline(values: Mapping[str, str], *, chain_time: int) -> int:
    """The deadline as unix seconds, from hours-from-now or a UTC date-time, checked ahead."""
    if values["deadline_mode"] == "date":
        text = values["deadline_at"]
        try:
            when = datetime.strptime(text, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
        except ValueError:
            raise ValueError("Pick the deadline's date and time (UTC).") from None
        deadline = int(when.timestamp())
    elif values["deadline_mode"] == "hours":
        hours = _decimal(values["deadline_hours"], "the hours until the deadline")
        deadline = chain_time + int(hours * 3600)
    else:
        raise ValueError("Choose how to give the deadline: hours from now or a date and time.")
    if deadline < chain_time + MIN_LEAD_S:
        raise ValueError(
            f"The deadline {utc(deadline)} is in the past or too close: the chain's clock says "
            f"{utc(chain_time)}; give owners at least 5 minutes."
        )
    if deadline > chain_time + MAX_LEAD_S:
        raise ValueError("The deadline must be within a year from now.")
    return deadline
