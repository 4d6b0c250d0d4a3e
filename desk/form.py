"""The single-application form, generated from a spec: ranges, known categories, months."""

from __future__ import annotations

import math
from dataclasses import dataclass

from desk.words import label
from fl.spec import Feature, ModelSpec

SPREAD = 2.0  # the hint's range: typical +- 2 standard deviations


@dataclass(frozen=True)
class FormField:
    """One input of the form: a number (with its range), a month or a choice."""

    name: str
    label: str
    kind: str  # number | month | select
    default: str = ""
    low: float | None = None
    high: float | None = None
    options: tuple[str, ...] = ()
    optional: bool = False

    @property
    def hint(self) -> str:
        """What the model was built on, in words."""
        if self.kind == "number" and self.low is not None and self.high is not None:
            return f"typical {self.default}; most loans {_num(self.low)} to {_num(self.high)}"
        if self.kind == "month":
            return "a month (YYYY-MM)"
        return f"{len(self.options)} known values"


def form_fields(spec: ModelSpec, *, today: str) -> list[FormField]:
    """The inputs in spec order, then each date feature's reference month (default `today`)."""
    fields = [_field(f, today) for f in spec.features]
    refs = sorted({f.reference for f in spec.features if f.kind == "months_before"})
    fields += [FormField(r, f"{label(r)} (application month)", "month", today) for r in refs]
    return fields


def _field(feature: Feature, today: str) -> FormField:
    name, words = feature.name, label(feature.name)
    if feature.kind == "categorical":
        return FormField(
            name, words, "select", feature.categories[0], options=feature.categories,
            optional=feature.missing_flag,
        )  # fmt: skip
    if feature.kind == "months_before":
        months = math.expm1(feature.mean) if feature.transform == "log1p" else feature.mean
        return FormField(name, words, "month", _months_before(today, months), optional=True)
    low, high = (feature.mean + s * SPREAD * feature.std for s in (-1, 1))
    typical = feature.mean
    if feature.transform == "log1p":
        low, high, typical = math.expm1(max(low, 0.0)), _expm1(high), math.expm1(typical)
    if typical >= 0:
        low = max(low, 0.0)
    return FormField(
        name, words, "number", _num(typical), low=low, high=high, optional=feature.missing_flag
    )


def _months_before(today: str, months: float) -> str:
    """The month `months` before `today` (YYYY-MM)."""
    year, month = (int(part) for part in today.split("-")[:2])
    index = year * 12 + month - 1 - round(months)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _expm1(x: float) -> float:
    return math.expm1(min(x, 700.0))


def _num(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:.0f}"
    return f"{x:.4g}"
