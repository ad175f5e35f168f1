"""List pages read their rows as plain records (admin_views/list_rows.py), not ORM objects:
every list must show exactly what the same rows show as model objects."""
import pytest
from flask_login import login_user
from sqlalchemy import inspect, select

from admin_views.list_rows import RowReader
from crm.extensions import db
from crm.models import Customer, User
from seeds import demo

ADMIN = "admin"


@pytest.fixture
def demo_archive(app, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-1")
    demo.seed(customer_count=60)


def list_views(app):
    return [view for view in app.extensions["admin"][0]._views if hasattr(view, "_row_reader")]


def cells(view, records) -> list[list[str]]:
    readers = view._translated()["readers"]
    return [[str(read(record)) for _css, read in readers] for record in records]


def test_every_list_shows_the_same_cells_as_the_model_objects(app, demo_archive):
    admin = db.session.scalar(select(User).where(User.username == ADMIN))
    compared = []
    for view in list_views(app):
        with app.test_request_context(f"/admin/{view.endpoint}/"):
            login_user(admin)
            key = inspect(view.model).primary_key[0]
            ids = db.session.scalars(select(key).order_by(key.desc()).limit(20)).all()
            records = view._row_reader().read(db.session.connection(), ids)
            objects = [db.session.get(view.model, record_id) for record_id in ids]
            assert cells(view, records) == cells(view, objects), view.endpoint
            compared.append((view.endpoint, len(ids)))
    assert sum(count > 0 for _endpoint, count in compared) >= 10, compared  # the demo has no imports


def test_related_records_print_like_the_models(app, demo_archive):
    customer = db.session.scalar(select(Customer).where(Customer.dealer_id.is_not(None)).limit(1))
    record, = RowReader(Customer, [Customer.dealer]).read(db.session.connection(), [customer.id])
    assert str(record) == str(customer)
    assert str(record.dealer) == str(customer.dealer)
    assert record.dealer.id == customer.dealer_id


def test_a_missing_related_record_reads_as_none(app, demo_archive):
    customer = db.session.scalar(select(Customer).limit(1))
    customer.dealer_id = None
    db.session.commit()
    record, = RowReader(Customer, [Customer.dealer]).read(db.session.connection(), [customer.id])
    assert record.dealer is None


def test_records_come_in_the_order_of_the_ids_and_skip_missing_ones(app, demo_archive):
    ids = db.session.scalars(select(Customer.id).order_by(Customer.id).limit(3)).all()
    wanted = [ids[2], 10**9, ids[0], ids[1]]
    records = RowReader(Customer, []).read(db.session.connection(), wanted)
    assert [record.id for record in records] == [ids[2], ids[0], ids[1]]


def test_list_addresses_are_flask_admins(app):
    """The list builds its links without url_for; they must stay Flask-Admin's, argument for argument."""
    from flask_admin.model.base import BaseModelView, ViewArgs

    view = next(view for view in list_views(app) if view.endpoint == "customer")
    cases = [ViewArgs(page=0, page_size=20, sort=None, sort_desc=None, search=None, filters=None),
             ViewArgs(page=3, page_size=50, sort=2, sort_desc=1, search="张 伟/a&b?c=d+e%f",
                      filters=[(0, "status", "actual & <b>")], extra_args={"z": "1 2"}),
             ViewArgs(page=None, page_size=None, sort=0, sort_desc=0, search="", filters=[], extra_args={})]
    with app.test_request_context("/admin/customer/"):
        for args in cases:
            assert view._get_list_url(args) == BaseModelView._get_list_url(view, args)


def test_every_export_writes_what_flask_admin_would_for_each_record(app, demo_archive):
    """Exports read plain database rows (admin_views/exporting.py), not model objects: each
    cell must be Flask-Admin's export value of the same record, shown as the writers show it."""
    from admin_views import exporting
    from crm.services.spreadsheets import spreadsheet_safe

    def written(rows):  # as the CSV and XLSX writers write them: nothing for None
        return [["" if cell is None else spreadsheet_safe(cell) for cell in row] for row in rows]

    admin = db.session.scalar(select(User).where(User.username == ADMIN))
    compared = 0
    for view in list_views(app):
        with app.test_request_context(f"/admin/{view.endpoint}/export/csv/"):
            login_user(admin)
            names = [name for name, _title in view._export_columns]
            query, _count_query = view._export_queries()
            exported = list(exporting.rows(view, query, names))
            key = inspect(view.model).primary_key[0]
            objects = db.session.scalars(query.with_entities(view.model).statement).all()
            expected = [[view.get_export_value(record, name) for name in names] for record in objects]
            assert written(exported) == written(expected), view.endpoint
            compared += len(exported)
            assert key is not None
    assert compared > 100
