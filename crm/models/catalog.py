"""What the maker sells."""
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db
from crm.models.base import TimestampMixin, VersionedMixin, code_column
from crm.models.choices import ProductCategory


class Product(VersionedMixin, TimestampMixin, db.Model):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_number: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    series: Mapped[str | None] = mapped_column(String(60), index=True)
    category: Mapped[str] = code_column(ProductCategory.OTHER.value)
    material: Mapped[str | None] = mapped_column(String(120))
    warranty_months: Mapped[int] = mapped_column(Integer, default=36)
    maintenance_interval_months: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    label_columns = ("model_number", "name")

    def __str__(self) -> str:
        return f"{self.model_number} {self.name}"
