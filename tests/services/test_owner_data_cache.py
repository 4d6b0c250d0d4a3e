"""The owner's data check is cached per file and spec, and refuses too-small data before any ε."""

from __future__ import annotations

import pytest

from fedlend.errors import DataError
from fedlend.services.owner_data import inspect_data
from fedlend.services.owner_views import preflight
from fl.train import TrainConfig
from tests.market import Market, PostBounty


def _first_rows(csv: bytes, n: int) -> bytes:
    return b"\n".join(csv.split(b"\n")[: n + 1]) + b"\n"


def test_a_dataset_is_parsed_once_per_model_not_on_every_view(
    market: Market, posted: PostBounty, loan_csvs: dict[str, bytes]
) -> None:
    model = posted()
    owner = market.owner(1)
    first = inspect_data(owner.node, loan_csvs["owner1"], model_id=model.model_id)
    assert inspect_data(owner.node, loan_csvs["owner1"], model_id=model.model_id) is first
    plain = inspect_data(owner.node, loan_csvs["owner1"])
    assert plain is not first
    assert plain.model_id is None
    assert plain.rows == first.rows


@pytest.mark.parametrize("rows", [1, 10])
def test_too_small_a_dataset_is_refused_before_any_epsilon_is_charged(
    market: Market, posted: PostBounty, loan_csvs: dict[str, bytes], rows: int
) -> None:
    model = posted()
    owner = market.owner(2)
    data = _first_rows(loan_csvs["owner2"], rows)
    check = inspect_data(owner.node, data, model_id=model.model_id)
    assert not check.ok
    assert any("training needs at least 50" in p for p in check.problems)
    sha = owner.add_dataset(data, name=f"{rows} rows").sha256  # kept without a model in mind
    with pytest.raises(DataError, match="training needs at least 50"):
        preflight(owner, model.model_id, sha, epsilon=1.0)
    with pytest.raises(DataError, match="training needs at least 50"):
        owner.contribute(model.model_id, sha, TrainConfig(1.0))
    spent, _, _ = owner.privacy(sha)
    assert spent.charges == 0
    assert spent.epsilon == 0
    assert not [s for s in owner.submissions() if s.dataset == sha]
