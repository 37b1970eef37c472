"""The declarative base every table module shares (in a module of its own, so a table
module can be imported first without an import cycle through `models`)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
