"""Back-office logins."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from crm.extensions import db
from crm.models.base import TimestampMixin, code_column
from crm.models.choices import Role
from crm.models.parties import Dealer


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = code_column(Role.CLERK.value)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    language: Mapped[str | None] = mapped_column(String(10))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # Part of every session's user id: changing it ends all sessions of this user.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_urlsafe(24))

    dealer: Mapped[Dealer | None] = relationship()

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def end_all_sessions(self) -> None:
        self.session_token = secrets.token_urlsafe(24)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)  # Werkzeug's default: scrypt

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    label_columns = ("username",)

    def __str__(self) -> str:
        return self.username



class ThrottleEvent(db.Model):
    """One countable event (a failed sign-in, a public submission, a status lookup) for a key
    such as a username, an address or a phone number; kept for a short while only."""

    __tablename__ = "throttle_event"
    __table_args__ = (Index("ix_throttle_event_kind_key_at", "kind", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
