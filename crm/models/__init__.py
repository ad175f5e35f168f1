"""All models, importable from one place."""
from crm.models.catalog import Product
from crm.models.intake import FeedbackCard, HotlineTicket
from crm.models.parties import Customer, Dealer
from crm.models.sales import Order
from crm.models.service import Complaint, Visit
from crm.models.users import User

__all__ = [
    "Complaint",
    "Customer",
    "Dealer",
    "FeedbackCard",
    "HotlineTicket",
    "Order",
    "Product",
    "User",
    "Visit",
]
