"""Fixtures for the reference-SDK compatibility tests (see test_reference_sdk_compat.py)."""
