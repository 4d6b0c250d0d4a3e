"""DP-SGD runs: a fast closed-form path and Opacus's GradSampleModule + DPOptimizer (the reference).

Both do exactly what Opacus's DPOptimizer does, step for step, drawing from one torch generator in
the same order: a Poisson mask (rate 1/k over all rows), per-sample clipping to C, Gaussian noise
N(0, (sigma C)^2) per parameter in the module's parameter order, division by the expected batch
size, then a plain SGD step. Opacus's RDP accountant books every step in both. The fast path gets
the clipped per-sample sums from fl.persample instead of per-sample autograd hooks, so the same seed
gives the same weights up to float rounding (see tests/fl/test_dpsgd.py).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from fl.dp import DPPlan, Mechanism, rdp_epsilon
from fl.persample import ClippedSum, clipped_sum_for

Engine = Literal["fast", "opacus"]
Tick = Callable[[int, int], None]  # (epochs done, epochs) -> None; raises to cancel


@dataclass(frozen=True)
class DPRun:
    """One local DP-SGD run's settings."""

    plan: DPPlan
    lr: float
    clip: float
    generator: torch.Generator

    @property
    def expected_batch_size(self) -> int:
        """What Opacus divides the noised sum by (the rounded expected Poisson batch)."""
        return max(1, round(self.plan.expected_batch_size))

    @property
    def noise_std(self) -> float:
        """Standard deviation of the Gaussian noise added to each clipped sum."""
        return self.plan.mechanism.noise_multiplier * self.clip


def dp_train(
    module: nn.Module, X: torch.Tensor, y: torch.Tensor, run: DPRun, tick: Tick, engine: Engine
) -> tuple[int, float]:
    """Train `module` in place; (steps, epsilon spent per Opacus's RDP accountant)."""
    closed_form = clipped_sum_for(module) if engine == "fast" else None
    if closed_form is not None:
        return _fast(module, X, y, run, tick, closed_form)
    return _opacus(module, X, y, run, tick)


def _poisson_mask(n: int, run: DPRun) -> torch.Tensor:
    return torch.rand(n, generator=run.generator) < run.plan.mechanism.sample_rate


def _fast(
    module: nn.Module, X: torch.Tensor, y: torch.Tensor, run: DPRun, tick: Tick, fn: ClippedSum
) -> tuple[int, float]:
    from opacus.accountants import RDPAccountant

    accountant = RDPAccountant()
    mech, plan = run.plan.mechanism, run.plan
    params = list(module.parameters())
    sq_norms = X.square().sum(1) + 1.0  # ||[x, 1]||^2 per row, computed once
    steps = 0
    with torch.no_grad():
        for epoch in range(plan.epochs):
            tick(epoch, plan.epochs)
            for _ in range(plan.batches_per_epoch):
                rows = _poisson_mask(len(y), run).nonzero().squeeze(1)
                sums = fn(params, X[rows], y[rows], sq_norms[rows], run.clip)
                for p, summed in zip(params, sums, strict=True):
                    noise = torch.normal(0.0, run.noise_std, p.shape, generator=run.generator)
                    p.add_((summed + noise) / run.expected_batch_size, alpha=-run.lr)
                accountant.step(
                    noise_multiplier=mech.noise_multiplier, sample_rate=mech.sample_rate
                )
                steps += 1
    return steps, _spent(accountant.history, plan.delta)


def _opacus(
    module: nn.Module, X: torch.Tensor, y: torch.Tensor, run: DPRun, tick: Tick
) -> tuple[int, float]:
    from opacus import GradSampleModule
    from opacus.accountants import RDPAccountant
    from opacus.optimizers import DPOptimizer

    mech, plan = run.plan.mechanism, run.plan
    private = GradSampleModule(module)
    optimizer = DPOptimizer(
        torch.optim.SGD(private.parameters(), lr=run.lr),
        noise_multiplier=mech.noise_multiplier,
        max_grad_norm=run.clip,
        expected_batch_size=run.expected_batch_size,
        generator=run.generator,
    )
    accountant = RDPAccountant()
    loss_fn = nn.BCEWithLogitsLoss(reduction="mean")
    steps = 0
    for epoch in range(plan.epochs):
        tick(epoch, plan.epochs)
        for _ in range(plan.batches_per_epoch):
            mask = _poisson_mask(len(y), run)
            optimizer.zero_grad(set_to_none=True)
            _opacus_backward(private, loss_fn, X[mask], y[mask])
            optimizer.step()  # clips per sample, adds noise, divides by the expected batch size
            accountant.step(noise_multiplier=mech.noise_multiplier, sample_rate=mech.sample_rate)
            steps += 1
    return steps, _spent(accountant.history, plan.delta)


def _opacus_backward(
    module: nn.Module, loss_fn: nn.Module, X: torch.Tensor, y: torch.Tensor
) -> None:
    """Per-sample gradients of the batch mean; an empty Poisson batch still gives a noise step."""
    out = module(X)
    with warnings.catch_warnings():  # Opacus's hooks warn that inputs need no gradient: fine here
        warnings.simplefilter("ignore", UserWarning)
        (loss_fn(out, y) if out.numel() else out.sum() * 0.0).backward()


def _spent(history: list[tuple[float, float, int]], delta: float) -> float:
    """== accountant.get_epsilon(delta), with fl.dp's cached RDP curves and wider orders."""
    return rdp_epsilon([Mechanism(sigma, q, n) for sigma, q, n in history], delta)
