"""fl: federated credit-default learning in plain PyTorch + Opacus (no chain, no web)."""
