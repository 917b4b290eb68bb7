"""Benchmarks (``make bench``): not tests, never collected by pytest (no ``test_`` files).

See :mod:`tests.bench.__main__`.
"""
