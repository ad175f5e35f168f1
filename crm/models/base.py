"""Shared column helpers for the models."""
from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.clock import now

CODE_LENGTH = 32


def code_column(default: str | None = None, *, nullable: bool = False, index: bool = True) -> Mapped[str]:
    """A column holding an enumeration code (see crm.models.choices)."""
    return mapped_column(String(CODE_LENGTH), default=default, nullable=nullable, index=index)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now, nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now, nullable=False)
