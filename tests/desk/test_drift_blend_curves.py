"""PSI flags a shifted batch; the blend is only used when it beats both; the chart numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from desk.blend import fit_blend
from desk.curves import calibration, histogram, roc
from desk.drift import drift, psi
from desk.scoring import ScoringModel
from fedlend.errors import DataError
from fl.features import encode
from tests.desk.conftest import encoded_applications


def test_psi_is_zero_for_the_same_shares_and_grows_with_the_shift() -> None:
    same = np.array([0.25, 0.25, 0.5])
    assert psi(same, same) == 0
    assert psi(same, np.array([0.2, 0.3, 0.5])) < psi(same, np.array([0.05, 0.45, 0.5]))


def test_a_shifted_feature_is_flagged_as_drift(
    logreg_scorer: ScoringModel, validation: pd.DataFrame, applications: pd.DataFrame
) -> None:
    spec = logreg_scorer.spec
    reference = encode(spec, validation).X
    shifted = applications.copy()
    shifted["revol_util"] = "99"
    verdicts = {d.feature: d for d in drift(spec, reference, encoded_applications(spec, shifted))}
    assert verdicts["revol_util"].verdict == "drift"
    calm = {d.feature: d for d in drift(spec, reference, reference[:1000])}
    assert all(d.verdict == "stable" for d in calm.values())


def test_blend_compares_itself_with_both_models_on_blender_check(
    logreg_scorer: ScoringModel, mlp_scorer: ScoringModel, validation: pd.DataFrame
) -> None:
    data_a = encode(logreg_scorer.spec, validation)
    data_b = encode(mlp_scorer.spec, validation)
    blend = fit_blend(logreg_scorer.logits(data_a.X), mlp_scorer.logits(data_b.X), data_a.labels)
    assert blend.n_train + blend.n_check == len(validation)
    assert blend.used == (blend.auc_blend > max(blend.auc_a, blend.auc_b))
    noise = np.random.default_rng(0).normal(size=len(validation))
    useless = fit_blend(noise, -noise, data_a.labels)
    assert not useless.used or useless.auc_blend > 0.5


def test_blend_refuses_too_few_loans() -> None:
    with pytest.raises(DataError, match="at least 40"):
        fit_blend(np.zeros(5), np.zeros(5), np.ones(5))


def test_roc_calibration_and_histogram_numbers(
    logreg_scorer: ScoringModel, validation: pd.DataFrame
) -> None:
    data = encode(logreg_scorer.spec, validation)
    pds = logreg_scorer.pd(data.X)
    curve, auc = roc(pds, data.labels)
    assert curve.y[0] >= 0
    assert curve.y[-1] == pytest.approx(1.0)
    assert 0.6 < auc < 0.8
    cal = calibration(pds, data.labels)
    assert len(cal.x) == 10
    assert list(cal.x) == sorted(cal.x)
    hist = histogram(pds)
    assert sum(hist.y) == pytest.approx(1.0)
