"""Anyone can check a lender's arithmetic: rebuild every round from events and stored blobs.

Without the lender's bundle the audit checks what is public: every submitted blob is in the
store under its digest, each round's rewards add up to its payout, each payout follows the
contract's rule, and the bounty is conserved (paid + claimed + reclaimed + left == bounty). With
the bundle and the validation CSV (whose hash the spec commits to) it recomputes every round with
`fl.strategy`: signatures, scores, shares, rewards and the merged weights; it names each mismatch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.events import (
    BountyReclaimed,
    ModelCreated,
    RoundEvaluated,
    UpdateEvaluated,
    UpdateSubmitted,
)
from fedlend.errors import FedlendError
from fedlend.sealing import verify_inner
from fedlend.sealing.header import same_address
from fedlend.services import catalog
from fedlend.services.audit_bundle import BundledUpdate
from fedlend.services.lender_data import validation_part
from fedlend.services.node import Node
from fedlend.services.verification import verification_of
from fedlend.services.verified import is_verified, proven_digest, proven_score
from fedlend.services.zk_audit import audit_proofs
from fedlend.types import MAX_SCORE, Digest, UpdateStatus
from fl.evaluate import validate_update
from fl.features import encode
from fl.spec import ModelSpec
from fl.strategy import RoundResult, RoundUpdate, ShapleyFedAvg, StrategyConfig
from fl.weights import weights_digest, weights_to_bytes

BPS = MAX_SCORE  # shares are basis points, on the score scale


@dataclass
class AuditReport:
    """What was checked and what did not match."""

    model_id: int
    rounds: int = 0
    updates: int = 0
    checks: int = 0
    recomputed_rounds: int = 0
    mismatches: list[str] = field(default_factory=list)
    verified: bool = False  # created verified: every round needs a zero-knowledge proof
    proven_rounds: list[str] = field(default_factory=list)  # tx hashes whose proof re-checked
    verifier_check: str = ""  # a verified model's verifier check, in words
    verifier_ok: bool | None = None  # whether it passed (None: an unverified model)
    circuit_check: str = ""  # with --circuit: is its Halo2 verifier the spec's circuit, in words
    circuit_ok: bool | None = None  # whether it passed (None: not asked, or unverified)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def expect(self, ok: bool, problem: str) -> None:
        """Count one check; remember the problem if it failed."""
        self.checks += 1
        if not ok:
            self.mismatches.append(problem)


def expected_rewards(payout: int, shares: list[int]) -> list[int]:
    """The contract's split: floor(payout * share / 10000), the remainder to the last paid one."""
    rewards = [payout * s // BPS for s in shares]
    paid = [i for i, s in enumerate(shares) if s]
    if paid:
        rewards[paid[-1]] = payout - sum(r for i, r in enumerate(rewards) if i != paid[-1])
    return rewards


def audit_model(
    node: Node,
    model_id: int,
    *,
    bundle: dict[str, list[BundledUpdate]] | None = None,
    validation_csv: bytes | None = None,
) -> AuditReport:
    """Audit one model (see the module docstring)."""
    report = AuditReport(model_id)
    client = node.client
    record = client.get_model(model_id)
    events = client.events(model_id=model_id)
    [created] = [e for e in events if isinstance(e, ModelCreated)]
    submitted = {e.update_id: e for e in events if isinstance(e, UpdateSubmitted)}
    report.updates = len(submitted)
    for e in submitted.values():
        try:
            node.get(e.digest)
            report.expect(True, "")
        except FedlendError as exc:
            report.expect(False, f"update #{e.update_id}: its blob is not in the store ({exc})")
    spec = node.spec_of(record)
    validation = _validation(spec, validation_csv, report) if validation_csv is not None else None
    shared = None
    if bundle is not None and validation is not None:
        shared = Recompute(node, spec, validation, submitted, bundle, report)
    remaining: int = created.bounty_wei
    versions, paid = [created.weights], 0
    for r in (e for e in events if isinstance(e, RoundEvaluated)):
        judged = [
            e for e in events if isinstance(e, UpdateEvaluated) and e.at.tx_hash == r.at.tx_hash
        ]
        rewards = [e.reward_wei for e in judged]
        improved = r.score > r.previous_best
        rule = (
            created.bounty_wei
            * max(0, r.score - r.previous_best)
            // (created.target_score - created.initial_score)
        )
        expected = min(rule, remaining) if improved else 0
        where = f"round {r.at.tx_hash[:12]}…"
        report.expect(
            r.payout_wei == expected, f"{where}: payout {r.payout_wei} != rule {expected}"
        )
        report.expect(
            sum(rewards) == r.payout_wei, f"{where}: rewards sum {sum(rewards)} != payout"
        )
        if shared is not None:
            _recompute(shared, r, judged, versions)
        remaining -= r.payout_wei
        paid += r.payout_wei
        if improved:
            versions.append(r.new_weights)
        report.rounds += 1
    rounds = [e for e in events if isinstance(e, RoundEvaluated)]
    _audit_proofs(client, model_id, rounds, report, spec)
    claims = [
        e for e in events if isinstance(e, UpdateEvaluated) and e.status == UpdateStatus.EXPIRED
    ]
    claimed = sum(e.reward_wei for e in claims)
    reclaimed = sum(e.amount_wei for e in events if isinstance(e, BountyReclaimed))
    total = paid + claimed + reclaimed + record.remaining_wei
    report.expect(
        total == created.bounty_wei,
        f"bounty {created.bounty_wei} != paid {paid} + claimed {claimed} + reclaimed {reclaimed}"
        f" + left {record.remaining_wei}",
    )
    return report


def _audit_proofs(
    client: ModelRepositoryClient,
    model_id: int,
    rounds: list[RoundEvaluated],
    report: AuditReport,
    spec: ModelSpec,
) -> None:
    """For a verified model: re-check every round's proof from chain data alone (and the
    verifier against the spec's circuit)."""
    proofs = audit_proofs(client, model_id, rounds)
    report.verified = proofs is not None
    verification = verification_of(client, model_id, spec=spec)
    if verification is not None:
        report.verifier_check = verification.check.message
        report.verifier_ok = verification.check.ok
        report.expect(verification.check.ok, f"verifier: {verification.check.message}")
    for proof in proofs or []:
        report.expect(proof.proven, f"round {proof.tx_hash[:12]}…: not proven: {proof.reason}")
        if proof.proven:
            report.proven_rounds.append(proof.tx_hash)


def _validation(spec: ModelSpec, data: bytes, report: AuditReport) -> tuple | None:
    sha = hashlib.sha256(data).hexdigest()
    committed = spec.metadata.get(catalog.VALIDATION_SHA256, "")
    report.expect(
        sha == committed, f"the validation CSV hashes to {sha}, the spec commits to {committed}"
    )
    if sha != committed:
        return None
    encoded = encode(spec, validation_part(data, sha, spec))
    return encoded.X, encoded.y


@dataclass(frozen=True)
class Recompute:
    """What recomputing any round of one model needs: its spec, validation data and bundle."""

    node: Node
    spec: ModelSpec
    validation: tuple  # (X, y) of the lender's validation split
    submitted: dict[int, UpdateSubmitted]
    bundle: dict[str, list[BundledUpdate]]
    report: AuditReport


def _recompute(
    shared: Recompute, r: RoundEvaluated, judged: list[UpdateEvaluated], versions: list[Digest]
) -> None:
    node, spec, validation, report = shared.node, shared.spec, shared.validation, shared.report
    submitted, bundle = shared.submitted, shared.bundle
    where = f"round {r.at.tx_hash[:12]}…"
    given = {u.update_id: u for u in bundle.get(r.at.tx_hash, [])}
    report.expect(
        set(given) == {e.update_id for e in judged},
        f"{where}: the bundle holds updates {sorted(given)}, the chain judged "
        f"{sorted(e.update_id for e in judged)}",
    )
    updates = []
    for e in judged:
        item = given.get(e.update_id)
        if item is None or item.unopenable:
            continue
        try:
            updates.append(_round_update(node, spec, item, submitted[e.update_id], versions))
        except FedlendError as exc:
            report.expect(False, f"{where}: update #{e.update_id} in the bundle: {exc}")
    current = node.weights_at(spec, versions[-1])
    strategy = ShapleyFedAvg(spec, validation[0], validation[1], StrategyConfig())
    result = strategy.evaluate_round(current, updates, best_bps=r.previous_best)
    score, improves, digest = _claim(spec, result, validation, r.previous_best)
    shares = dict(zip(result.keys, result.shares_bps if improves else (), strict=False))
    report.expect(score == r.score, f"{where}: recomputed score {score} != on-chain {r.score}")
    want = expected_rewards(r.payout_wei, [shares.get(e.update_id, 0) for e in judged])
    for e, reward in zip(judged, want, strict=True):
        report.expect(
            e.reward_wei == reward,
            f"{where}: update #{e.update_id} was paid {e.reward_wei} wei, "
            f"its Shapley share gives {reward}",
        )
    if improves or is_verified(spec):  # a verified round's proof names its weights, paid or not
        report.expect(
            digest == bytes(r.new_weights),
            f"{where}: the merged weights differ from the published ones",
        )
    report.recomputed_rounds += 1


def _claim(
    spec: ModelSpec, result: RoundResult, validation: tuple, best: int
) -> tuple[int, bool, bytes]:
    """(score, improves, weights digest) the lender should have sent for this round: for a
    verified model the quantized aggregate's proven score and its packed-blob digest."""
    if is_verified(spec):
        score = proven_score(spec, result.weights, *validation)
        improves = any(result.included) and score > best
        return score, improves, proven_digest(spec, result.weights)
    score = result.score_bps if result.improves else min(result.score_bps, best)
    return (
        score,
        result.improves,
        bytes(weights_digest(weights_to_bytes(result.weights, spec=spec))),
    )


def _round_update(
    node: Node, spec: ModelSpec, item: BundledUpdate, sub: UpdateSubmitted, versions: list[Digest]
) -> RoundUpdate:
    header, signer = verify_inner(item.header, item.signature, item.payload, layout=item.layout)
    if not same_address(signer, sub.submitter):
        raise FedlendError(f"signed by {signer}, submitted on-chain by {sub.submitter}")
    if header.model_id != sub.model_id or not same_address(header.contract, node.client.address):
        raise FedlendError("sealed for another model or contract")
    base_digest = Digest(header.base_digest_bytes)
    if base_digest not in versions:
        raise FedlendError("trained on weights this model never had")
    base = node.weights_at(spec, base_digest)
    checked = validate_update(spec, item.payload, base_weights=base)
    staleness = len(versions) - 1 - versions.index(base_digest)
    return RoundUpdate(sub.update_id, checked.weights, base, header.n_examples, staleness)
