"""Frozen generative backbones (image VAE, DCGAN, CharVAE, StyleGAN latents)."""
