"""Example adapters, standard library only; the demo is used by the Java demo and the tests."""
