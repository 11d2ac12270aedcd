"""Baselines compared with PluGeN (conditional flow, InterFaceGAN, cVAE, StyleFlow-like CNF)."""
