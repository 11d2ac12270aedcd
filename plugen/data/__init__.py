"""Data sets: procedural shapes, molecules, user-supplied CelebA."""
