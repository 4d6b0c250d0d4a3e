"""The borrower desk: score applications with a finished model, explain, decide and price them."""
