"""Bank gateway adapter: the interface, an HTTP client, and an in-process fake for tests.

The bank simulator the HTTP client talks to is `simulators/bank.py`."""
