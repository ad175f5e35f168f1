"""Pages too costly to compute on every read (the dashboard over a million customers),
kept for a few minutes and shared by every server process."""
from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db


class Snapshot(db.Model):
    __tablename__ = "snapshot"

    # What was computed, for whom and how: "dashboard:all:30:zh_CN".
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime)
    body: Mapped[str] = mapped_column(Text)
