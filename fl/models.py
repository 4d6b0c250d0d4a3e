"""The two model kinds (logistic regression, a small MLP), their weights and predictions."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from fedlend_core.errors import SpecError
from fl.spec import ModelSpec

Weights = dict[str, torch.Tensor]


class LogReg(nn.Module):
    """Logistic regression: one linear layer producing a default logit."""

    def __init__(self, n_inputs: int) -> None:
        super().__init__()
        self.linear = nn.Linear(n_inputs, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape (n,)."""
        return self.linear(x).squeeze(-1)


class MLP(nn.Module):
    """One hidden ReLU layer, then a default logit."""

    def __init__(self, n_inputs: int, hidden: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(n_inputs, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape (n,)."""
        return self.out(torch.relu(self.hidden(x))).squeeze(-1)


def build_model(spec: ModelSpec) -> nn.Module:
    """An untrained module of the spec's kind (float32, CPU)."""
    if spec.model.kind == "mlp":
        return MLP(spec.n_inputs, spec.model.hidden)
    return LogReg(spec.n_inputs)


def expected_shapes(spec: ModelSpec) -> dict[str, tuple[int, ...]]:
    """Parameter name -> shape every weights blob for this spec must have."""
    d, h = spec.n_inputs, spec.model.hidden
    if spec.model.kind == "mlp":
        return {
            "hidden.weight": (h, d),
            "hidden.bias": (h,),
            "out.weight": (1, h),
            "out.bias": (1,),
        }
    return {"linear.weight": (1, d), "linear.bias": (1,)}


def init_weights(spec: ModelSpec, *, seed: int = 0) -> Weights:
    """Initial weights: zeros for logistic regression, seeded PyTorch init for the MLP."""
    if spec.model.kind == "logreg":
        return {name: torch.zeros(shape) for name, shape in expected_shapes(spec).items()}
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        module = build_model(spec)
    finally:
        torch.random.set_rng_state(generator_state)
    return state_of(module)


def state_of(module: nn.Module) -> Weights:
    """A detached float32 copy of a module's parameters (Opacus wrappers unwrapped)."""
    inner = getattr(module, "_module", module)
    return {k: v.detach().clone().float() for k, v in inner.state_dict().items()}


def load_into(spec: ModelSpec, weights: Mapping[str, torch.Tensor]) -> nn.Module:
    """A fresh module holding copies of these weights."""
    shapes = expected_shapes(spec)
    got = {k: tuple(v.shape) for k, v in weights.items()}
    if got != shapes:
        raise SpecError(f"weights {got} do not fit the spec's model {shapes}")
    module = build_model(spec)
    module.load_state_dict({k: v.detach().clone().float() for k, v in weights.items()})
    return module


def predict_proba(
    spec: ModelSpec, weights: Mapping[str, torch.Tensor], X: np.ndarray
) -> np.ndarray:
    """Default probabilities for encoded rows (float64 numpy, shape (n,))."""
    module = load_into(spec, weights).eval()
    with torch.no_grad():
        logits = module(torch.from_numpy(np.asarray(X, dtype=np.float32)))
    return torch.sigmoid(logits.double()).numpy()


def flatten(weights: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """All parameters as one float64 vector, in sorted-name order."""
    return torch.cat([weights[k].detach().double().reshape(-1) for k in sorted(weights)])


def subtract(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor]) -> Weights:
    """a - b, per parameter (float32)."""
    return {k: (a[k].double() - b[k].double()).float() for k in a}
