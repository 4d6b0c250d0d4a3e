"""fedlend: decentralized federated lending (contract client, storage, sealing, services, CLI)."""

__version__ = "0.1.0"
