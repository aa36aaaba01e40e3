"""Online payments: gateway adapters (gateways.py)."""
