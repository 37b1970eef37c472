"""Shunfuri: an asynchronous transfer queue for consumer-credit cash advances."""

__version__ = "0.1.0"
