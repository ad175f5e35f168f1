"""Fixtures: an app on a fresh database, and a logged-in client per role.

The database is SQLite (a file per test session) unless TEST_DATABASE_URL names a
PostgreSQL server; .ci/run runs the suite both ways. The schema is built once per
session and every test starts from empty tables.
"""
import contextvars
import functools
import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import upgrade
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from crm.app import create_app
from crm.config import TEST_SETTINGS, _normalise_database_url
from crm.extensions import db
from crm.models import Customer, Dealer, Product, User
from crm.models.choices import Role

PASSWORD = "correct-horse-42"


def _database_url(tmp_dir: Path) -> str:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        return _normalise_database_url(configured)
    return f"sqlite:///{tmp_dir / 'test.db'}"


def reset_postgres_database(url: str) -> None:
    """Drop and create the database `url` names, through the server's `postgres` database."""
    target = make_url(url)
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = _database_url(tmp_path_factory.mktemp("db"))
    if url.startswith("postgresql"):
        reset_postgres_database(url)
    return url


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app({**_test_settings(), "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()  # the migrations, not create_all: they also build the search index
        db.engine.dispose()
    return database_url


def _test_settings() -> dict:
    return dict(TEST_SETTINGS)


class RequestIsolatingClient(FlaskClient):
    """Runs each request in its own app context, as a server does, not in the test's.

    Otherwise `g` (Flask-Login's user, Flask-Babel's locale) and the database session
    would leak from one request, or one client, into the next. After the request the
    test's own session ends its transaction, so it reads what the request committed.
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # streamed bodies must finish inside the request's context
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.rollback()
        return response


@pytest.fixture(scope="session")
def _shared_app(_schema):
    """Building the app (and its admin views) is costly; tests share one and get fresh data."""
    app = create_app({**_test_settings(), "SQLALCHEMY_DATABASE_URI": _schema})
    app.test_client_class = RequestIsolatingClient
    return app


@pytest.fixture
def app(_shared_app):
    with _shared_app.app_context():
        yield _shared_app
        db.session.remove()
        _empty_all_tables()


def _empty_all_tables() -> None:
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(Customer.__table__.update().values(referred_by_id=None))
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def csrf_app(_schema):
    """The app as served: forms need their CSRF token."""
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": _schema, "WTF_CSRF_ENABLED": True})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def dealer(app) -> Dealer:
    return make_dealer("GD-FS-001", "佛山顺德旗舰店")


@pytest.fixture
def other_dealer(app) -> Dealer:
    return make_dealer("SH-PD-001", "上海浦东月星家居店", province="上海市", city="上海市")


@pytest.fixture
def product(app) -> Product:
    item = Product(model_number="SF-2031", name="云栖三人位真皮沙发", series="云栖", category="sofa",
                   warranty_months=60, maintenance_interval_months=6)
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def customer(app, dealer) -> Customer:
    person = Customer(name="张伟", mobile="+8613812345678", city="佛山市", province="广东省", district="顺德区",
                      dealer=dealer, status="actual")
    db.session.add(person)
    db.session.commit()
    return person


def make_dealer(code: str, name: str, province: str = "广东省", city: str = "佛山市") -> Dealer:
    item = Dealer(code=code, name=name, province=province, city=city, level="standard")
    db.session.add(item)
    db.session.commit()
    return item


@functools.cache
def _password_hash() -> str:
    """Hashing is slow on purpose; the suite hashes the shared test password once."""
    return generate_password_hash(PASSWORD)


def make_user(username: str, role: str, dealer: Dealer | None = None, active: bool = True) -> User:
    user = User(username=username, role=role, dealer=dealer, active=active, password_hash=_password_hash())
    db.session.add(user)
    db.session.commit()
    return user


def log_in(client, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def logged_in_client(app, username: str, role: str, dealer: Dealer | None = None):
    make_user(username, role, dealer=dealer)
    client = app.test_client()
    log_in(client, username)
    return client


@pytest.fixture
def admin_client(app):
    return logged_in_client(app, "admin", Role.ADMIN.value)


@pytest.fixture
def clerk_client(app):
    return logged_in_client(app, "clerk", Role.CLERK.value)


@pytest.fixture
def dealer_client(app, dealer):
    return logged_in_client(app, "dealer1", Role.DEALER.value, dealer=dealer)


@contextmanager
def recorded_statements(engine):
    """Collects the SQL statements run on `engine` inside the block."""
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
