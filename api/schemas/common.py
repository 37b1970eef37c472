"""What every request body shares: strict types, no unknown fields, and the id bounds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# Ids are PostgreSQL BIGINT: an id outside 1..MAX_ID names no row, so it is refused (a
# path id as not_found, a body id as a validation error) before it reaches the database.
MAX_ID = 2**63 - 1


class Strict(BaseModel):
    """Strict (no "12" for 12, no true for 1), extra fields refused."""

    model_config = ConfigDict(extra="forbid", strict=True)
