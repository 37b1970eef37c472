"""Bank gateway adapter: the interface, an HTTP client, and the bank simulator."""
