"""A scored batch as CSV, a summary dict, a text bar, and ROC-AUC when the file is labelled."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from desk.policy import Pricing
from desk.scoring import Batch
from fl.data import TARGET

CSV_COLUMNS = (
    "application_id",
    "pd",
    "decision",
    "apr",
    "top_reasons",
    "flags",
    "errors",
    "model",
    "weights_sha256",
)


def batch_csv(batch: Batch) -> str:
    """One line per application, naming the model and the weights digest that scored it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in batch.rows:
        writer.writerow(
            [
                row.app_id,
                "" if row.pd is None else f"{row.pd:.6f}",
                row.decision,
                "" if row.apr is None else f"{row.apr:.6f}",
                row.reasons_text,
                "; ".join(row.flags),
                "; ".join(row.errors),
                batch.model,
                batch.weights_digest,
            ]
        )
    return out.getvalue()


def labelled_auc(frame: pd.DataFrame, batch: Batch) -> float | None:
    """ROC-AUC of the scored rows when the file has a clean 0/1 default column, else None."""
    if TARGET not in frame.columns:
        return None
    labels = pd.to_numeric(frame[TARGET].astype("string").str.strip(), errors="coerce")
    scored = [i for i, r in enumerate(batch.rows) if r.pd is not None]
    y = labels.to_numpy(dtype=float)[scored]
    if len(y) == 0 or not np.isin(y, (0.0, 1.0)).all() or len(np.unique(y)) < 2:
        return None
    return float(roc_auc_score(y, batch.pds))


def batch_summary(batch: Batch, *, roc_auc: float | None, pricing: Pricing) -> dict[str, Any]:
    """Counts, the model's identity and the notes about columns, as a JSON-ready dict."""
    notes = [f"column {c} is missing: treated as blank" for c in batch.missing_columns]
    if batch.ignored_columns:
        notes.append(f"ignored columns the model does not use: {', '.join(batch.ignored_columns)}")
    flagged = sum(1 for r in batch.rows if r.flags and r.pd is not None)
    if flagged:
        notes.append(f"{flagged:,} rows scored with flags (at best referred)")
    return {
        "model": batch.model,
        "weights_sha256": batch.weights_digest,
        "explainer": batch.method,
        "pricing": pricing.formula,
        "n": len(batch.rows),
        "counts": batch.counts,
        "roc_auc": roc_auc,
        "notes": notes,
    }


def bar(share: float, width: int = 30) -> str:
    """A text bar for the CLI: share of width in block characters."""
    filled = round(max(0.0, min(1.0, share)) * width)
    return "█" * filled + "·" * (width - filled)
