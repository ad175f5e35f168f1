"""What customers send in themselves: feedback cards (信息反馈卡) and hotline tickets (热线工单)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from crm.extensions import db
from crm.models.base import CaseMixin, TimestampMixin, VersionedMixin, code_column
from crm.models.catalog import Product
from crm.models.choices import CardStatus, TicketChannel, TicketStatus
from crm.models.parties import Customer, Dealer
from crm.models.users import User


class CardBatch(TimestampMixin, db.Model):
    """A print run of feedback cards for one dealer and product; each card has a serial."""

    __tablename__ = "card_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    size: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)

    dealer: Mapped[Dealer] = relationship()
    product: Mapped[Product | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.code or ""


class CardOpening(db.Model):
    """The first time a printed card's QR code was opened."""

    __tablename__ = "card_opening"
    __table_args__ = (UniqueConstraint("batch_id", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("card_batch.id", ondelete="CASCADE"), index=True)
    serial: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime)


class FeedbackCard(VersionedMixin, TimestampMixin, db.Model):
    __tablename__ = "feedback_card"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # One per submitted form: a second submit of the same form finds this card instead.
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("card_batch.id", ondelete="SET NULL"), index=True)
    serial: Mapped[int | None] = mapped_column(Integer)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    rating_quality: Mapped[int | None] = mapped_column(Integer)
    rating_design: Mapped[int | None] = mapped_column(Integer)
    rating_delivery: Mapped[int | None] = mapped_column(Integer)
    rating_installation: Mapped[int | None] = mapped_column(Integer)
    rating_service: Mapped[int | None] = mapped_column(Integer)
    recommend_score: Mapped[int | None] = mapped_column(Integer, index=True)
    comments: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(60), index=True)
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    consent_to_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = code_column(CardStatus.NEW.value)
    submitted_at: Mapped[datetime] = mapped_column(DateTime, index=True)

    customer: Mapped[Customer | None] = relationship()
    dealer: Mapped[Dealer | None] = relationship()
    product: Mapped[Product | None] = relationship()
    batch: Mapped[CardBatch | None] = relationship()

    def __str__(self) -> str:
        return self.reference or ""


class HotlineTicket(CaseMixin, VersionedMixin, TimestampMixin, db.Model):
    __tablename__ = "hotline_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = code_column(TicketChannel.PHONE.value)
    topic: Mapped[str] = code_column()
    description: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(String(60), index=True)
    mobile: Mapped[str] = mapped_column(String(20), index=True)
    city: Mapped[str | None] = mapped_column(String(40), index=True)
    address: Mapped[str | None] = mapped_column(String(255))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = code_column(TicketStatus.NEW.value)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # Set when a clerk turns a complaint ticket into a Complaint.
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id", ondelete="SET NULL"), index=True)

    customer: Mapped[Customer | None] = relationship()
    dealer: Mapped[Dealer | None] = relationship()
    product: Mapped[Product | None] = relationship()
    assigned_to: Mapped[User | None] = relationship()
    complaint: Mapped["Complaint | None"] = relationship(back_populates="ticket")  # noqa: F821
    notes: Mapped[list["CaseNote"]] = relationship(  # noqa: F821
        order_by="CaseNote.created_at", cascade="all, delete-orphan", passive_deletes=True)

    def __str__(self) -> str:
        return self.number or ""


# How many of a batch's cards were opened and answered, loaded with the batch in one query.
CardBatch.opened = column_property(
    select(func.count(CardOpening.id)).where(CardOpening.batch_id == CardBatch.id)
    .correlate_except(CardOpening).scalar_subquery())
CardBatch.answered = column_property(
    select(func.count(func.distinct(FeedbackCard.serial))).where(FeedbackCard.batch_id == CardBatch.id)
    .correlate_except(FeedbackCard).scalar_subquery())
