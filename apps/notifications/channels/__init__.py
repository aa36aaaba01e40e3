"""Delivery channels: one module per way of reaching a person (e-mail now; SMS and push later).
Each is the only code that talks to its provider; tests substitute the backend there."""
