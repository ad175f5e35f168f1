"""Alembic owns the schema: migrations build it from empty and match the models exactly."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from crm import search_index
from crm.app import create_app
from crm.config import TEST_SETTINGS
from crm.extensions import db
from tests.conftest import reset_postgres_database


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A second, empty database on the same kind of server as the suite's."""
    if database_url.startswith("postgresql"):
        url = database_url.rsplit("/", 1)[0] + "/lifelong_migrations_test"
        reset_postgres_database(url)
        return url
    return f"sqlite:///{tmp_path / 'migrations.db'}"


@pytest.fixture
def migration_app(empty_database_url):
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": search_index.include_in_schema_comparison})
        return compare_metadata(context, db.metadata)


def user_tables() -> set[str]:
    names = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    return {name for name in names if search_index.include_in_schema_comparison(name, "table", {})}


def test_upgrade_builds_every_table_from_empty(migration_app):
    upgrade()
    assert user_tables() == set(db.metadata.tables)


def test_migrations_and_models_do_not_differ(migration_app):
    upgrade()
    assert schema_differences() == []


def test_downgrade_to_empty_and_upgrade_again(migration_app):
    upgrade()
    downgrade(revision="base")
    assert user_tables() == set()
    upgrade()
    assert schema_differences() == []


def row_counts(tables) -> dict[str, int]:
    with db.engine.connect() as connection:
        return {table: connection.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar() for table in tables}


def test_downgrading_and_upgrading_a_filled_database_keeps_every_row(migration_app, monkeypatch):
    """Batch migrations rebuild tables on SQLite; rebuilding the customer table must not
    cascade into orders, visits and complaints (it did, before env.py turned foreign keys
    off while migrating)."""
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-1")
    upgrade()
    result = migration_app.test_cli_runner().invoke(args=["seed", "demo", "--customers", "40"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    before = row_counts(user_tables())
    assert before["orders"] and before["visit"] and before["complaint"] and before["case_note"] is not None
    downgrade(revision="0001")
    kept = user_tables()
    after_downgrade = row_counts(kept)
    upgrade()
    after = row_counts(user_tables())
    for table in kept:
        assert after_downgrade[table] == before[table], table
        assert after[table] == before[table], table
