"""Adapters that exist only for the tests; the fake JVM puts this folder on PYTHONPATH."""
