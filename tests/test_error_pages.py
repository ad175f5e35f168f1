"""In production a failure shows a friendly page with a reference and logs the details;
no traceback, SQL or secret reaches the browser."""
import logging
import re

import pytest
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError

from crm.app import create_app
from crm.config import TEST_SETTINGS
from crm.extensions import db
from crm.models import Customer
from tests.conftest import logged_in_client

SECRET = "production-secret-key-0123456789"


@pytest.fixture
def production_app(_schema):
    """The product as it runs for users: errors are caught and rendered, not raised."""
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": _schema, "TESTING": False,
                      "DEBUG": False, "ENV_NAME": "production", "SECRET_KEY": SECRET})

    @app.get("/boom/python")
    def python_failure():
        raise RuntimeError(f"internal detail {SECRET}")

    @app.get("/boom/sql")
    def sql_failure():
        db.session.execute(text("SELECT * FROM no_such_table WHERE secret = 'hunter2'"))

    @app.get("/boom/race")
    def racing_save():
        raise StaleDataError("UPDATE statement on table 'customer' expected to update 1 row(s); 0 were matched.")

    return app


def reference_on(page: str) -> str:
    match = re.search(r"\b([0-9A-F]{8})\b", page)
    assert match, "the error page shows no reference"
    return match.group(1)


def test_a_failure_shows_a_friendly_page_in_the_users_language(production_app):
    response = production_app.test_client().get("/boom/python")
    assert response.status_code == 500
    assert "系统出现问题" in response.get_data(as_text=True)


def test_a_failure_shows_a_reference_that_is_in_the_log_with_the_traceback(production_app, caplog):
    with caplog.at_level(logging.ERROR, logger=production_app.logger.name):
        page = production_app.test_client().get("/boom/python").get_data(as_text=True)
    reference = reference_on(page)
    logged = [record for record in caplog.records if reference in record.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info[0] is RuntimeError


def test_two_failures_get_different_references(production_app):
    client = production_app.test_client()
    first = reference_on(client.get("/boom/python").get_data(as_text=True))
    second = reference_on(client.get("/boom/python").get_data(as_text=True))
    assert first != second


@pytest.mark.parametrize("path", ["/boom/python", "/boom/sql"])
def test_no_traceback_sql_or_secret_reaches_the_browser(production_app, path):
    page = production_app.test_client().get(path).get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "internal detail", SECRET, "SELECT", "no_such_table", "hunter2",
                 "sqlalchemy", "psycopg", "sqlite3"):
        assert leak not in page


def test_the_database_session_is_usable_after_a_failed_statement(production_app):
    client = production_app.test_client()
    client.get("/boom/sql")
    assert client.get("/healthz").status_code == 200


def test_a_save_that_raced_another_says_so_instead_of_failing(production_app):
    response = production_app.test_client().get("/boom/race")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "有人在同一时刻修改了这条记录" in page and "expected to update" not in page


def test_an_unexpected_failure_while_saving_in_the_back_office_gives_a_reference(app, monkeypatch, caplog):
    clerk = logged_in_client(app, "clerk", "clerk")

    def broken(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr("crm.services.records.prepare", broken)
    with caplog.at_level(logging.ERROR):
        page = clerk.post("/admin/customer/new/", data={"name": "陈静", "gender": "female", "status": "potential",
                                                        "mobile": "13912340000"}).get_data(as_text=True)
    reference = reference_on(page)
    assert any(reference in record.getMessage() for record in caplog.records)
    assert "disk full" not in page
    assert db.session.query(Customer).count() == 0
