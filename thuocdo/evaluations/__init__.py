"""Evaluations (periods, assessments, score cards, appeals)."""
