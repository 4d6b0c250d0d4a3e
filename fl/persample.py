"""Clipped sums of per-sample gradients in closed form, for the model kinds the project ships.

Each function returns, for a batch, sum_i min(1, C / (||g_i|| + 1e-6)) * g_i per parameter (in
the module's parameter order), where g_i is sample i's gradient of the BCE-with-logits loss: the
same clipped sum Opacus's DPOptimizer builds from GradSampleModule's per-sample gradients, but
from a few fused matmuls instead of materialising a (batch x parameters) tensor.

  * logistic regression: g_i = (p_i - y_i) [x_i, 1], so ||g_i|| = |p_i - y_i| sqrt(||x_i||^2 + 1);
  * the MLP: g_i = (out: r_i [h_i, 1]; hidden: d_i [x_i, 1]) with r_i = p_i - y_i and
    d_i = r_i w_out * relu'(a_i); both layers see one input row per sample, so the per-sample norm
    is the ghost norm r_i^2 (||h_i||^2 + 1) + ||d_i||^2 (||x_i||^2 + 1), no outer product needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from fl.models import MLP, LogReg

# (parameters, X batch, y batch, ||x||^2 + 1 per row of the batch, clip) -> clipped sums
ClippedSum = Callable[
    [Sequence[torch.Tensor], torch.Tensor, torch.Tensor, torch.Tensor, float], list[torch.Tensor]
]
OPACUS_EPS = 1e-6  # Opacus's DPOptimizer adds this to every per-sample norm before dividing


def clip_factors(norms: torch.Tensor, clip: float) -> torch.Tensor:
    """Opacus's per-sample clip factor: min(1, C / (norm + 1e-6))."""
    return (clip / (norms + OPACUS_EPS)).clamp(max=1.0)


def logreg_clipped_sum(
    params: Sequence[torch.Tensor],
    X: torch.Tensor,
    y: torch.Tensor,
    sq_norms: torch.Tensor,
    clip: float,
) -> list[torch.Tensor]:
    """Clipped per-sample gradient sum for LogReg (linear.weight (1, d), linear.bias (1,))."""
    weight, bias = params
    residual = torch.sigmoid(torch.mv(X, weight[0]) + bias) - y
    scaled = clip_factors(residual.abs() * sq_norms.sqrt(), clip) * residual
    return [torch.mv(X.t(), scaled).unsqueeze(0), scaled.sum().reshape(1)]


def mlp_clipped_sum(
    params: Sequence[torch.Tensor],
    X: torch.Tensor,
    y: torch.Tensor,
    sq_norms: torch.Tensor,
    clip: float,
) -> list[torch.Tensor]:
    """Clipped per-sample gradient sum for the MLP (hidden.weight, hidden.bias, out.*)."""
    w_hidden, b_hidden, w_out, b_out = params
    pre = torch.addmm(b_hidden, X, w_hidden.t())
    hidden = pre.clamp(min=0.0)
    residual = torch.sigmoid(torch.mv(hidden, w_out[0]) + b_out) - y
    back = residual.unsqueeze(1) * w_out * (pre > 0)
    sq = residual.square() * (hidden.square().sum(1) + 1.0) + back.square().sum(1) * sq_norms
    factors = clip_factors(sq.sqrt(), clip)
    out_scaled = factors * residual
    back_scaled = back * factors.unsqueeze(1)
    return [
        torch.mm(back_scaled.t(), X),
        back_scaled.sum(0),
        torch.mv(hidden.t(), out_scaled).unsqueeze(0),
        out_scaled.sum().reshape(1),
    ]


def clipped_sum_for(module: nn.Module) -> ClippedSum | None:
    """The closed form for this module's kind; None if it has none (train it with Opacus)."""
    if type(module) is LogReg:
        return logreg_clipped_sum
    if type(module) is MLP:
        return mlp_clipped_sum
    return None
