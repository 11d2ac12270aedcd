"""Tests, laid out as plugen/ is; shared fixtures in conftest.py, paths in paths.py."""
