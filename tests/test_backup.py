"""`flask --app wsgi backup PATH` takes a consistent copy of a live database, also while
others write to it; `flask --app wsgi restore PATH` checks a backup and puts it back."""
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, insert, inspect, select, text

from crm.app import create_app
from crm.database import write_transaction
from crm.config import TEST_SETTINGS
from crm.extensions import db
from crm.models import AuditEntry, Customer
from crm.services import backup as backup_service
from tests.conftest import reset_postgres_database

HEAD = "0017"


@pytest.fixture
def live_app(database_url, tmp_path, monkeypatch):
    """The product on a database of its own, migrated and filled by the demo seed."""
    if database_url.startswith("postgresql"):
        url = database_url.rsplit("/", 1)[0] + "/lifelong_backup_test"
        reset_postgres_database(url)
    else:
        url = f"sqlite:///{tmp_path / 'live.db'}"
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-1")
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["seed", "demo", "--customers", "30"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        yield app
        db.session.remove()
        db.engine.dispose()


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def row_counts() -> dict[str, int]:
    db.session.remove()
    names = [name for name in inspect(db.engine).get_table_names() if not name.startswith("customer_search")]
    with db.engine.connect() as connection:
        return {name: connection.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar() for name in names}


def schema_version() -> str:
    db.session.remove()
    return backup_service.current_schema_version()


def test_a_restored_backup_has_every_row_and_the_schema_version_it_was_taken_at(live_app, tmp_path):
    before = row_counts()
    assert run(live_app, "backup", str(tmp_path / "lifelong.backup")).exit_code == 0
    db.session.execute(Customer.__table__.delete().where(Customer.id > 10))  # a mistake to undo
    db.session.commit()
    result = run(live_app, "restore", "--yes", str(tmp_path / "lifelong.backup"))
    assert result.exit_code == 0, result.output
    assert row_counts() == before
    assert schema_version() == HEAD


def test_the_backup_command_says_where_the_file_is_and_its_schema_version(live_app, tmp_path):
    result = run(live_app, "backup", str(tmp_path / "nightly" / "lifelong.backup"))
    assert (tmp_path / "nightly" / "lifelong.backup").is_file()
    assert str(tmp_path / "nightly" / "lifelong.backup") in result.output and HEAD in result.output


def test_a_backup_taken_while_others_write_is_one_consistent_moment(live_app, tmp_path):
    """Writers add customers, each with its audit entry in the same transaction; a copy of
    one moment has exactly as many of one as of the other."""
    stop = threading.Event()
    written = []
    engine = db.engine

    def write_customers(number: int) -> None:
        index = 0
        while not stop.is_set():
            index += 1
            with write_transaction(), engine.begin() as connection:
                new_id = connection.execute(insert(Customer.__table__).returning(Customer.__table__.c.id), {
                    "name": f"并发{number}-{index}", "gender": "unspecified", "status": "potential",
                    "consent_to_contact": False, "version": 1}).scalar_one()
                connection.execute(insert(AuditEntry.__table__), {
                    "actor": "load", "action": "create", "record_type": "customer", "record_id": new_id,
                    "changes": {}})
            written.append(new_id)

    writers = [threading.Thread(target=write_customers, args=(number,)) for number in range(3)]
    for writer in writers:
        writer.start()
    time.sleep(0.5)
    assert run(live_app, "backup", str(tmp_path / "busy.backup")).exit_code == 0
    time.sleep(0.3)
    stop.set()
    for writer in writers:
        writer.join()
    written_before_end = len(written)

    assert run(live_app, "restore", "--yes", str(tmp_path / "busy.backup")).exit_code == 0
    db.session.remove()
    customers = db.session.scalar(select(func.count()).select_from(Customer).where(Customer.name.like("并发%")))
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.actor == "load"))
    assert 0 < customers < written_before_end  # taken mid-load
    assert customers == entries


def test_a_damaged_backup_is_refused_and_the_database_is_left_as_it_was(live_app, tmp_path):
    run(live_app, "backup", str(tmp_path / "good.backup"))
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes((tmp_path / "good.backup").read_bytes()[:5000])
    before = row_counts()
    result = run(live_app, "restore", "--yes", str(damaged))
    assert result.exit_code != 0 and ("损坏" in result.output or "不是" in result.output)
    assert row_counts() == before


def test_a_file_that_is_not_a_backup_is_refused(live_app, tmp_path):
    stranger = tmp_path / "notes.txt"
    stranger.write_text("hello", encoding="utf-8")
    result = run(live_app, "restore", "--yes", str(stranger))
    assert result.exit_code != 0 and "不是" in result.output and "备份" in result.output


def test_a_missing_backup_file_is_refused(live_app, tmp_path):
    result = run(live_app, "restore", "--yes", str(tmp_path / "nowhere.backup"))
    assert result.exit_code != 0 and "没有备份文件" in result.output


def test_a_backup_from_a_newer_schema_is_refused(live_app, tmp_path):
    db.session.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.session.commit()
    run(live_app, "backup", str(tmp_path / "future.backup"))
    db.session.execute(text(f"UPDATE alembic_version SET version_num = '{HEAD}'"))
    db.session.commit()
    result = run(live_app, "restore", "--yes", str(tmp_path / "future.backup"))
    assert result.exit_code != 0 and "9999" in result.output
    assert schema_version() == HEAD


def test_a_backup_from_an_older_schema_is_restored_and_brought_up_to_date(live_app, tmp_path):
    """From before 0012 and 0013, which added tables that refer to customers: the restore
    must not leave them behind (PostgreSQL could then neither drop the customers nor
    upgrade)."""
    before = row_counts()
    downgrade(revision="0011")
    run(live_app, "backup", str(tmp_path / "older.backup"))
    upgrade()
    result = run(live_app, "restore", "--yes", str(tmp_path / "older.backup"))
    assert result.exit_code == 0, result.output
    assert schema_version() == HEAD
    assert row_counts() == before


def test_restore_asks_before_replacing_the_database(live_app, tmp_path):
    run(live_app, "backup", str(tmp_path / "lifelong.backup"))
    db.session.execute(Customer.__table__.delete().where(Customer.id > 10))
    db.session.commit()
    after_mistake = row_counts()
    result = run(live_app, "restore", str(tmp_path / "lifelong.backup"), input="n\n")
    assert result.exit_code != 0
    assert row_counts() == after_mistake


def test_a_backup_file_is_readable_by_its_owner_only(live_app, tmp_path):
    run(live_app, "backup", str(tmp_path / "lifelong.backup"))
    assert (tmp_path / "lifelong.backup").stat().st_mode & 0o777 == 0o600


def test_a_backup_cannot_be_written_over_the_database_itself(live_app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's database is not a file")
    before = row_counts()
    result = run(live_app, "backup", db.engine.url.database)
    assert result.exit_code != 0 and "数据库本身" in result.output
    assert row_counts() == before


def test_a_relative_sqlite_path_is_backed_up_from_the_file_the_app_uses(tmp_path, monkeypatch, database_url):
    """Flask-SQLAlchemy finds a relative SQLite path in the instance folder, not in the
    working directory; the backup must copy that file, not another one or a new empty one."""
    if database_url.startswith("postgresql"):
        pytest.skip("SQLite paths only")
    monkeypatch.chdir(tmp_path)
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": "sqlite:///relative-backup-test.db"})
    with app.app_context():
        upgrade()
        db.session.add(Customer(name="相对路径", gender="unspecified", status="potential"))
        db.session.commit()
        assert run(app, "backup", str(tmp_path / "relative.backup")).exit_code == 0
        db.session.remove()
        db.engine.dispose()
    Path(app.instance_path, "relative-backup-test.db").unlink()
    connection = sqlite3.connect(tmp_path / "relative.backup")
    assert connection.execute("SELECT name FROM customer").fetchall() == [("相对路径",)]
    connection.close()
