"""The weights history read from a model's events: its creation, then each improving round."""

from __future__ import annotations

from fedlend.services.pending import versions_from
from tests.contracts.helpers import ContractKit


def test_only_rounds_that_beat_the_best_add_a_version(kit: ContractKit) -> None:
    model_id = kit.new_model(initial=5_000, target=8_000)
    created = kit.repo.get_model(model_id).weights
    owner = kit.client_for(kit.accounts[3])
    first, second, third = (owner.submit_update(model_id, kit.digest()).value for _ in range(3))
    better, worse, best = kit.digest(), kit.digest(), kit.digest()
    kit.repo.evaluate_round(model_id, [first], [10_000], score=6_000, new_weights=better)
    kit.repo.evaluate_round(model_id, [second], [0], score=5_500, new_weights=worse)
    kit.repo.evaluate_round(model_id, [third], [10_000], score=7_000, new_weights=best)
    events = kit.repo.index.model_events(model_id)
    assert versions_from(events) == [created, better, best]
    assert versions_from([]) == []
