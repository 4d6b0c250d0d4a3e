"""On-chain signals: address risk classifier, risk score h/t and levels, investor profiles."""
