"""Evaluation: external classifier, FID, chemistry metrics, tables."""
