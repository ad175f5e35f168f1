"""Purchases (定单) that dealers hand over."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import TimestampMixin, VersionedMixin
from crm.models.catalog import Product
from crm.models.parties import Customer, Dealer


class Order(VersionedMixin, TimestampMixin, db.Model):
    __tablename__ = "orders"  # ORDER is an SQL keyword

    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    ordered_on: Mapped[date] = mapped_column(Date, index=True)
    delivered_on: Mapped[date | None] = mapped_column(Date, index=True)
    installed_on: Mapped[date | None] = mapped_column(Date, index=True)
    salesperson: Mapped[str | None] = mapped_column(String(60), index=True)
    # The dealer's spreadsheet import this order came from (undoing the import removes it).
    import_id: Mapped[int | None] = mapped_column(ForeignKey("order_import.id", ondelete="SET NULL"), index=True)

    customer: Mapped[Customer] = relationship(back_populates="orders")
    dealer: Mapped[Dealer | None] = relationship()
    product: Mapped[Product | None] = relationship()

    def __str__(self) -> str:
        return self.order_number
