"""Accountability (stored signals, explanations, dashboard, directive cascade)."""
