"""The capabilities an experiment spec is composed of (one mixin per concern)."""
