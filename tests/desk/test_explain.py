"""Reasons: exact logistic contributions add up; SHAP for the MLP adds up; words are plain."""

from __future__ import annotations

import numpy as np
import pandas as pd

from desk.explain import LINEAR_METHOD, grouping
from desk.scoring import ScoringModel
from desk.words import reason_text
from tests.desk.conftest import encoded_applications


def test_logistic_contributions_add_up_to_the_logit_difference(
    logreg_scorer: ScoringModel, applications: pd.DataFrame, validation: pd.DataFrame
) -> None:
    X = encoded_applications(logreg_scorer.spec, applications)
    explained = logreg_scorer.explainer.explain(X)
    assert explained.method == LINEAR_METHOD
    assert explained.values.shape == (len(X), len(logreg_scorer.spec.features))
    np.testing.assert_allclose(
        explained.values.sum(axis=1), logreg_scorer.logits(X) - explained.baseline, atol=1e-5
    )
    # the baseline is the logit of the validation mean (exact for a linear model)
    from fl.features import encode

    mean = encode(logreg_scorer.spec, validation).X.mean(axis=0, keepdims=True)
    assert abs(float(logreg_scorer.logits(mean)[0]) - explained.baseline) < 1e-4


def test_mlp_shap_values_add_up_and_name_their_explainer(
    mlp_scorer: ScoringModel, applications: pd.DataFrame
) -> None:
    X = encoded_applications(mlp_scorer.spec, applications.iloc[:20])
    explained = mlp_scorer.explainer.explain(X)
    assert "SHAP DeepExplainer" in explained.method
    np.testing.assert_allclose(
        explained.values.sum(axis=1), mlp_scorer.logits(X) - explained.baseline, atol=1e-3
    )
    assert np.abs(explained.values).sum() > 0


def test_grouping_maps_every_encoded_column_to_exactly_one_feature(
    logreg_scorer: ScoringModel,
) -> None:
    matrix = grouping(logreg_scorer.spec)
    assert matrix.shape == (logreg_scorer.spec.n_inputs, len(logreg_scorer.spec.features))
    assert (matrix.sum(axis=1) == 1).all()


def test_reasons_are_plain_words_with_units() -> None:
    assert reason_text("revol_util", "97", 0.4) == "revolving utilisation 97 % raised the risk"
    assert reason_text("annual_inc", "90000.0", -0.2) == "annual income $90,000 lowered the risk"
    assert reason_text("purpose", "car", 0.1) == "purpose car raised the risk"
    assert reason_text("revol_util", None, 0.1) == "revolving utilisation blank raised the risk"


def test_each_row_lists_the_strongest_reasons_each_way(
    logreg_scorer: ScoringModel, applications: pd.DataFrame
) -> None:
    batch = logreg_scorer.score_frame(applications.iloc[:50])
    for row in batch.rows:
        assert row.pd is not None
        ups = [r for r in row.reasons if r.contribution > 0]
        downs = [r for r in row.reasons if r.contribution < 0]
        assert len(ups) <= 3
        assert len(downs) <= 3
        assert row.reasons
        assert all("raised" in r.text for r in ups)
        assert all("lowered" in r.text for r in downs)
        assert [r.contribution for r in ups] == sorted((r.contribution for r in ups), reverse=True)


def test_the_mlp_batch_values_equal_shaps_own(
    mlp_scorer: ScoringModel, applications: pd.DataFrame
) -> None:
    X = encoded_applications(mlp_scorer.spec, applications.iloc[:60])
    explainer = mlp_scorer.explainer
    batch = explainer.explain(X)  # 60 rows: the vectorised path
    single = np.concatenate([explainer.explain(X[i : i + 10]).values for i in range(0, 60, 10)])
    np.testing.assert_allclose(batch.values, single, atol=1e-4)
    np.testing.assert_allclose(
        batch.values.sum(axis=1), mlp_scorer.logits(X) - batch.baseline, atol=1e-3
    )
