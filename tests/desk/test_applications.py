"""Bad applications get a per-row message; scorable-after-clipping rows are scored and flagged."""

from __future__ import annotations

import pandas as pd
import pytest

from desk.scoring import Batch, ScoringModel
from fedlend.errors import DataError


def _batch(scorer: ScoringModel, frame: pd.DataFrame, column: str, value: object) -> Batch:
    bad = frame.iloc[:5].copy()
    bad.loc[bad.index[2], column] = value
    return scorer.score_frame(bad)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("annual_inc", "lots", "annual_inc must be a number, not 'lots'"),
        ("dti", "inf", "dti must be a number"),
        ("earliest_cr_line", "sometime", "earliest_cr_line must be a month"),
        ("issue_d", "13/2011", "issue_d must be a month"),
    ],
)
def test_unparseable_cells_refuse_only_their_row(
    logreg_scorer: ScoringModel, applications: pd.DataFrame, column: str, value: str, message: str
) -> None:
    batch = _batch(logreg_scorer, applications, column, value)
    refused = batch.rows[2]
    assert refused.pd is None
    assert refused.decision == "refused"
    assert any(message in e for e in refused.errors), refused.errors
    assert all(r.pd is not None for i, r in enumerate(batch.rows) if i != 2)


@pytest.mark.parametrize(
    ("column", "value", "flag"),
    [
        ("annual_inc", "1e15", "outside the range the model was built on"),
        ("revol_bal", "-50", "is negative: scored as 0"),
        ("grade", "Z", "'Z' is not a category the model knows"),
        ("home_ownership", "", "home_ownership is blank"),
        ("issue_d", "", "issue_d (the application month) is blank"),
    ],
)
def test_odd_but_scorable_cells_are_scored_and_flagged(
    logreg_scorer: ScoringModel, applications: pd.DataFrame, column: str, value: str, flag: str
) -> None:
    batch = _batch(logreg_scorer, applications, column, value)
    row = batch.rows[2]
    assert row.pd is not None
    assert 0 < row.pd < 1
    assert any(flag in f for f in row.flags), row.flags
    assert row.decision in ("refer", "decline")  # a flagged row is at best referred
    assert not batch.rows[1].flags


def test_missing_and_extra_columns_are_named_and_the_batch_still_scores(
    logreg_scorer: ScoringModel, applications: pd.DataFrame
) -> None:
    frame = applications.iloc[:10].drop(columns=["revol_util"]).assign(favourite_colour="blue")
    batch = logreg_scorer.score_frame(frame)
    assert batch.missing_columns == ("revol_util",)
    assert "favourite_colour" in batch.ignored_columns
    assert all(r.pd is not None for r in batch.rows)
    assert all("column revol_util is missing" in r.flags[0] for r in batch.rows)


def test_a_file_with_none_of_the_columns_is_refused_with_the_columns_it_needs(
    logreg_scorer: ScoringModel,
) -> None:
    with pytest.raises(DataError, match="none of the model's columns"):
        logreg_scorer.score_frame(pd.DataFrame({"a": ["1"], "b": ["2"]}))


def test_ids_come_from_the_id_column_or_the_row_number(
    logreg_scorer: ScoringModel, applications: pd.DataFrame
) -> None:
    with_ids = logreg_scorer.score_frame(applications.iloc[:3])
    assert [r.app_id for r in with_ids.rows] == list(applications["id"].iloc[:3])
    without = logreg_scorer.score_frame(applications.iloc[:3].drop(columns=["id"]))
    assert [r.app_id for r in without.rows] == ["row 1", "row 2", "row 3"]


def test_clean_rows_score_the_same_alone_and_in_a_batch(
    logreg_scorer: ScoringModel, applications: pd.DataFrame
) -> None:
    batch = logreg_scorer.score_frame(applications.iloc[:20])
    alone = logreg_scorer.score_frame(applications.iloc[[7]])
    assert alone.rows[0].pd == pytest.approx(batch.rows[7].pd, abs=1e-9)
