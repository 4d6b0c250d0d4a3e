"""Plain-text tables of a simulation: quality vs baselines, rounds judged, per-owner payouts."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fl.rounds import EngineRun
    from fl.simulate import SimulationReport

MAX_OWNER_ROWS = 12  # more owners: the payout table shows the top ones


def format_table(report: SimulationReport) -> str:
    """Quality of the product policy and its baselines, then the payouts."""
    c, s = report.config, report.split
    sizes = [d.n for d in s.owners]
    fittable = len(s.owners) - report.single_class_owners
    sampled = "" if len(report.single_aucs) == fittable else f" (a seeded sample of {fittable})"
    singles = f"{len(report.single_aucs)} fit{sampled}" + (
        f", {report.single_class_owners} one-outcome owners skipped"
        if report.single_class_owners
        else ""
    )
    lines = [
        f"{len(s.owners)} owners ({c.split} split, {min(sizes):,}-{max(sizes):,} loans each), "
        f"{c.rounds} rounds, {s.spec.n_inputs} inputs; lender validation {s.validation.n:,}; "
        f"test {s.test.n:,} loans issued {c.test_from}+",
        f"{'model':<52}{'test AUC':>9}{'vs pooled':>11}{'s/round':>9}{'eps spent':>11}",
        f"{'pooled logistic regression (no DP)':<52}{report.pooled_auc:>9.4f}",
        f"{f'best single owner alone (no DP; {singles})':<52}{report.best_single_auc:>9.4f}"
        f"{report.best_single_auc - report.pooled_auc:>+11.4f}",
    ]
    for r in sorted(report.runs + report.baselines, key=lambda r: (_eps(r), r.policy)):
        lines.append(_row(report, r))
    bars = ", ".join(f"{k}: {'PASS' if ok else 'FAIL'}" for k, ok in report.bars().items())
    lines.append(f"bars: {bars}; total {report.seconds:.1f} s")
    for r in report.runs:
        lines.extend(_rounds(r))
    lines.extend(payout_table(report))
    return "\n".join(lines)


def _eps(r: EngineRun) -> float:
    return -1.0 if r.epsilon is None else r.epsilon


def _row(report: SimulationReport, r: EngineRun) -> str:
    policy = "Shapley FedAvg (product)" if r.policy == "shapley" else "plain FedAvg"
    dp = "DP off" if r.epsilon is None else f"DP eps {r.epsilon:g}"
    name = f"{policy}, {dp} ({r.epochs} ep)"
    spent = "" if r.epsilon_spent is None else f"{r.epsilon_spent:.3f}"
    return (
        f"{name:<52}{r.test_auc:>9.4f}{r.test_auc - report.pooled_auc:>+11.4f}"
        f"{r.seconds_per_round:>9.2f}{spent:>11}"
    )


def _rounds(r: EngineRun) -> list[str]:
    parts = [
        f"r{x.round} {'kept' if x.accepted else 'REJECTED'} {x.included}/{x.updates} "
        f"{x.score_bps}bps ({x.method}, {x.policy_seconds:.1f}s)"
        for x in r.rounds
    ]
    failed = f"; {r.failed_trainings} trainings failed" if r.failed_trainings else ""
    return [f"  product rounds, eps {r.label}: " + "; ".join(parts) + failed]


def payout_table(report: SimulationReport) -> list[str]:
    """Per owner: Shapley value summed over rounds and share of the notional rewards paid."""
    runs = [r for r in report.runs if r.shapley]
    if not runs:
        return []
    n = len(report.split.owners)
    paid = {r.label: sum(r.rewards_wei) or 1 for r in runs}
    first = runs[-1]
    order = sorted(range(n), key=lambda i: (-first.rewards_wei[i], i))[:MAX_OWNER_ROWS]
    head = "".join(f"{'eps ' + r.label + ' phi':>14}{'paid':>8}" for r in runs)
    lines = [
        "per-owner Shapley value (AUC, summed over rounds) and share of the rewards paid"
        + (f" (top {MAX_OWNER_ROWS} of {n})" if n > MAX_OWNER_ROWS else ""),
        f"{'owner':<8}{'loans':>7}{head}",
    ]
    for i in order:
        cells = "".join(
            f"{r.shapley[i]:>14.4f}{100 * r.rewards_wei[i] / paid[r.label]:>7.1f}%" for r in runs
        )
        lines.append(f"{'owner' + str(i):<8}{report.split.owners[i].n:>7}{cells}")
    return lines
