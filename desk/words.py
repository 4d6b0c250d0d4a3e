"""Plain words for Lending Club columns and values: "revolving utilisation 97 %"."""

from __future__ import annotations

import math
from functools import lru_cache

LABELS = {
    "loan_amnt": "loan amount",
    "term": "term",
    "int_rate": "interest rate",
    "installment": "monthly instalment",
    "grade": "grade",
    "sub_grade": "sub-grade",
    "emp_length": "employment length",
    "home_ownership": "home ownership",
    "annual_inc": "annual income",
    "verification_status": "income verification",
    "purpose": "purpose",
    "zip_code": "zip code",
    "addr_state": "state",
    "dti": "debt-to-income",
    "delinq_2yrs": "delinquencies in 2 years",
    "earliest_cr_line": "earliest credit line",
    "fico_range_low": "FICO (low)",
    "fico_range_high": "FICO (high)",
    "inq_last_6mths": "credit inquiries in 6 months",
    "mths_since_last_delinq": "months since last delinquency",
    "mths_since_last_record": "months since last public record",
    "open_acc": "open accounts",
    "pub_rec": "public records",
    "revol_bal": "revolving balance",
    "revol_util": "revolving utilisation",
    "total_acc": "total accounts",
    "pub_rec_bankruptcies": "bankruptcies",
    "issue_d": "issue date",
}
PERCENT = {"int_rate", "revol_util", "dti"}
MONEY = {"loan_amnt", "installment", "annual_inc", "revol_bal"}
MONTHS = {"term"}


def label(name: str) -> str:
    """A column's name in words."""
    return LABELS.get(name, name.replace("_", " "))


def value_text(name: str, raw: object) -> str:
    """A cell in words: "97 %", "$22,000", "36 months", "blank"."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or str(raw).strip() == "":
        return "blank"
    text = str(raw).strip()
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    shown = f"{number:,.0f}" if number == round(number) else f"{number:,.2f}".rstrip("0")
    if name in PERCENT:
        return f"{shown} %"
    if name in MONEY:
        return f"${shown}"
    if name in MONTHS:
        return f"{shown} months"
    return shown


def reason_text(name: str, raw: object, contribution: float) -> str:
    """One reason: "revolving utilisation 97 % raised the risk"."""
    return _reason(name, raw if isinstance(raw, str) else None, contribution > 0)


@lru_cache(maxsize=65536)
def _reason(name: str, raw: str | None, raised: bool) -> str:
    verb = "raised" if raised else "lowered"
    return f"{label(name)} {value_text(name, raw)} {verb} the risk"
