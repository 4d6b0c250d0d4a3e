"""Chart data for the `line_chart` macro: JSON that charts.js reads from a data attribute."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from fedlend.errors import FedlendError


def line_chart_data(
    labels: Sequence[object],
    series: Mapping[str, Sequence[float | None]],
    *,
    y_label: str = "",
    x_label: str = "",
    y_min: float | None = None,
    y_max: float | None = None,
) -> dict[str, Any]:
    """A line chart's data: one x label per point, one named series of y values per line.

    None (or NaN) is a gap in a line. Every series must have one value per label.
    """
    datasets = []
    for name, values in series.items():
        if len(values) != len(labels):
            raise FedlendError(
                f"chart series {name!r} has {len(values)} values for {len(labels)} labels: "
                "give one value per label (None for a gap)"
            )
        datasets.append({"label": str(name), "data": [_point(v) for v in values]})
    return {
        "labels": [str(label) for label in labels],
        "datasets": datasets,
        "y_label": y_label,
        "x_label": x_label,
        "y_min": y_min,
        "y_max": y_max,
    }


def _point(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number
