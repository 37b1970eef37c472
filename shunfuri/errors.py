"""A refusal as the rules and use cases raise it: a stable code and structured fields.

The domain and the services say *which* refusal (`code`, from the spec's list) and the
facts it concerns (`retry_at`, `payoff_today`, `errors` ...); they never say an HTTP
status nor a sentence. The edges (`api.problems`, `web.errors`, the CLI) look the code up
in the catalogue (`shunfuri.catalogue`) for the status, the title and the words, English
and Japanese. `tests/unit/test_error_catalogue.py` holds every code raised to an entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ShunfuriError(Exception):
    """A refusal: `key` is a stable code (`not_cancellable`), or a code and the variant of
    its wording (`not_cancellable:in_doubt`) where the same public code says something more
    precise. `extra` fields go into the problem body as they are; `facts` are values the
    wording may cite (an amount typed, a date) that the body does not carry."""

    def __init__(self, key: str, *, facts: Mapping[str, Any] | None = None,
                 **extra: Any) -> None:
        self.key = key
        self.code, _, self.variant = key.partition(":")
        self.facts = dict(facts or {})
        self.extra = extra
        super().__init__(key)
