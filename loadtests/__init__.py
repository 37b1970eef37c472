"""Load tests: Locust measures accept -> settled, the 10-second promise and our own targets.

`shunfuri loadtest SCENARIO` (see `loadtests/README.md`) starts a system, drives it with
`loadtests/locustfile.py` and writes `loadtests/results/<stamp>/`.
"""
