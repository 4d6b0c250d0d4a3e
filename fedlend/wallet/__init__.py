"""Wallet mode: keys stay in the user's browser wallet; the server prepares, the wallet signs."""
