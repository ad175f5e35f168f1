"""The schema serves the back office: every column a list filters or searches on is indexed."""
import pytest
from sqlalchemy.orm import RelationshipProperty

from admin_views.catalog import ProductView
from admin_views.intake import FeedbackCardView, HotlineTicketView
from admin_views.parties import CustomerView, DealerView
from admin_views.sales import OrderView
from admin_views.service import ComplaintView, VisitView
from admin_views.users import UserView
from crm.extensions import db
from crm.models import Complaint, Customer, Dealer, FeedbackCard, HotlineTicket, Order, Product, User, Visit

VIEWS = [(CustomerView, Customer), (DealerView, Dealer), (ProductView, Product), (OrderView, Order),
         (VisitView, Visit), (ComplaintView, Complaint), (HotlineTicketView, HotlineTicket),
         (FeedbackCardView, FeedbackCard), (UserView, User)]


def resolve(model, path: str):
    """The column behind a list path such as `dealer.code`."""
    *relations, name = path.split(".")
    for relation in relations:
        prop = model.__mapper__.get_property(relation)
        assert isinstance(prop, RelationshipProperty)
        model = prop.mapper.class_
    return model.__table__.c[name]


def is_indexed(column) -> bool:
    table = column.table
    if column.primary_key or column.unique:
        return True
    leading = {index.columns.values()[0].name for index in table.indexes}
    leading |= {constraint.columns.values()[0].name for constraint in table.constraints
                if constraint.__class__.__name__ == "UniqueConstraint"}
    return column.name in leading


@pytest.mark.parametrize("view,model", VIEWS, ids=[model.__name__ for _view, model in VIEWS])
def test_every_searched_and_filtered_column_is_indexed(view, model):
    paths = list(view.column_searchable_list or ()) + [p for p in view.column_filters or () if isinstance(p, str)]
    unindexed = [path for path in paths if not is_indexed(resolve(model, path))]
    assert unindexed == []


def test_every_foreign_key_is_indexed():
    unindexed = [f"{table.name}.{column.name}" for table in db.metadata.sorted_tables
                 for column in table.columns if column.foreign_keys and not is_indexed(column)]
    assert unindexed == []
