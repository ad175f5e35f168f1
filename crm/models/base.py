"""Shared column helpers for the models."""
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.clock import now

CODE_LENGTH = 32


def code_column(default: str | None = None, *, nullable: bool = False, index: bool = True) -> Mapped[str]:
    """A column holding an enumeration code (see crm.models.choices)."""
    return mapped_column(String(CODE_LENGTH), default=default, nullable=nullable, index=index)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now, nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now, nullable=False)


class CaseMixin:
    """What complaints and hotline tickets share: service-level deadlines and the
    lifecycle's stamps (crm.services.lifecycle)."""

    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    # Service levels (crm.services.sla), set when the case is received.
    first_response_due_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    resolution_due_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # Set when the dealer's first-response window passed unanswered and the maker's desk took over.
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    close_reason: Mapped[str | None] = mapped_column(Text)
