"""The desk's charts (line_chart data for charts.js): ROC, calibration, PD histogram, trade-offs."""

from __future__ import annotations

from typing import Any

from desk.policy import TradeoffRow
from fedlend.services.desk import Insight
from fedlend.web import line_chart_data


def roc_chart(insight: Insight) -> dict[str, Any]:
    """True-positive rate against false-positive rate, with the chance diagonal."""
    curve = insight.roc
    return line_chart_data(
        curve.labels,
        {f"model (ROC-AUC {insight.roc_auc:.3f})": list(curve.y), "chance": list(curve.x)},
        y_label="defaults caught (true-positive rate)",
        x_label="repaid loans flagged (false-positive rate)",
        y_min=0,
        y_max=1,
    )


def calibration_chart(insight: Insight) -> dict[str, Any]:
    """Actual default rate per PD decile against the mean PD (perfect: the diagonal)."""
    curve = insight.calibration
    return line_chart_data(
        curve.labels,
        {"actual default rate": list(curve.y), "perfect calibration": list(curve.x)},
        y_label="default rate",
        x_label="mean predicted PD (decile)",
        y_min=0,
    )


def histogram_chart(insight: Insight) -> dict[str, Any]:
    """Share of validation loans per PD bin."""
    curve = insight.histogram
    return line_chart_data(
        curve.labels, {"share of loans": list(curve.y)}, y_label="share", x_label="PD", y_min=0
    )


def tradeoff_chart(rows: list[TradeoffRow]) -> dict[str, Any]:
    """Approval rate, default rate among approved and expected loss per cutoff."""
    return line_chart_data(
        [f"{r.cutoff:.2f}" for r in rows],
        {
            "approval rate": [r.approval_rate for r in rows],
            "default rate among approved": [r.default_rate for r in rows],
            "expected loss among approved": [r.expected_loss for r in rows],
        },
        y_label="share",
        x_label="approve below PD",
        y_min=0,
        y_max=1,
    )
