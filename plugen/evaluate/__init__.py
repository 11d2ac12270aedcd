"""Evaluation shared by experiments: the external judge and classifier, FID, metrics with
known-answer tests, the plugin probe and the generation temperature sweep."""
