"""What every request body shares: strict types, no unknown fields, the id bounds, and the
domain's input rules stated in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic import Strict as StrictType

from shunfuri.domain.ids import MAX_ID

__all__ = ["MAX_ID"]  # the schemas' bound of ids, defined once in the domain


def _integral(value: Any) -> Any:
    # JSON has one number type: 5000.0 is the integer 5000 to a JSON Schema validator, so
    # it is one here too. 5000.5, "5000" and true stay refused.
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An integer as JSON Schema means it: a whole number, however it is written.
JsonInt = Annotated[int, BeforeValidator(_integral), StrictType()]


def rule(pattern: str) -> dict[str, Any]:
    """`json_schema_extra` that states a domain rule (`shunfuri.domain.normalise`) in the
    OpenAPI document. The domain still enforces it, with its own clearer message."""
    return {"pattern": pattern}


_STRING, _NULL = {"type": "string"}, {"type": "null"}  # null: the model reads it as absent


def exactly_one_group(*groups: tuple[str, ...]) -> dict[str, Any]:
    """JSON Schema for "every field of one group given, no field of another"."""
    alternatives = []
    for group in groups:
        others = [f for other in groups if other is not group for f in other]
        alternatives.append({
            "required": list(group),
            "properties": {**dict.fromkeys(group, _STRING), **dict.fromkeys(others, _NULL)},
        })
    return {"oneOf": alternatives}


def together_or_not_at_all(*fields: str) -> dict[str, Any]:
    """JSON Schema for "these fields are given together or not at all"."""
    return {"anyOf": [
        {"required": list(fields), "properties": dict.fromkeys(fields, _STRING)},
        {"properties": dict.fromkeys(fields, _NULL)},
    ]}


class Strict(BaseModel):
    """Strict (no "12" for 12, no true for 1), extra fields refused."""

    model_config = ConfigDict(extra="forbid", strict=True)
