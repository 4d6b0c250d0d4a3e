"""The service layer: what a lender or an owner can do; the apps, CLI and demo call it."""
