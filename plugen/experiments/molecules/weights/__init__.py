"""Shipped weights: the pretrained molecule backbone (``charvae_moses.pt``, its sha256, recipe
and training history in ``charvae_moses.json``)."""
