"""Nothing lost under load or in a crash. The product runs under gunicorn with several
worker processes on 127.0.0.1; client processes send feedback cards and hotline tickets
while two clerks save the same customer, and the database is then compared with what
every user was told. In the crash test a worker is killed (-9) in the middle of it.

Figures (attempts, stored, refused, lost) are printed; run with -s to see them."""
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from crm.app import create_app
from crm.config import TEST_SETTINGS
from crm.extensions import db
from crm.models import AuditEntry, Customer, FeedbackCard, HotlineTicket, User
from tests import load_clients
from tests.conftest import PASSWORD, reset_postgres_database


@pytest.fixture
def load_database(database_url, tmp_path):
    """A database of the test's own with two clerks and the customer they both edit."""
    if database_url.startswith("postgresql"):
        url = database_url.rsplit("/", 1)[0] + "/lifelong_load_test"
        reset_postgres_database(url)
    else:
        url = f"sqlite:///{tmp_path / 'load.db'}"
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        for name in ("wang", "li"):
            db.session.add(User(username=name, role="clerk", password_hash=generate_password_hash(PASSWORD)))
        db.session.add(Customer(name="并发客户", mobile="+8613800138000", gender="unspecified", status="potential"))
        db.session.commit()
        yield app, url
        db.session.remove()
        db.engine.dispose()


def run_clients(jobs) -> list[load_clients.Attempt]:
    """Each job (function, arguments) in a process of its own, all at once."""
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(function, *arguments) for function, arguments in jobs]
        return [attempt for future in futures for attempt in future.result()]


def held(key_column, text_column, marker: str) -> dict[str, str]:
    """The records the load wrote: the key each user was given (a card's reference, a
    ticket's number) -> the text of the form it came from, which no two forms share."""
    db.session.remove()
    return dict(db.session.execute(select(key_column, text_column).where(text_column.like(f"{marker}%"))).all())


def each_form_once(rows: dict[str, str]) -> bool:
    return len(set(rows.values())) == len(rows)


def without_trail(model) -> int:
    """Records of the load without their audit entry, or entries whose record is missing:
    a record and its entry are written in one transaction, so either means a partial write."""
    entries = select(AuditEntry.record_id).where(AuditEntry.record_type == model.__tablename__,
                                                 AuditEntry.action == "create")
    missing_entry = db.session.scalar(select(func.count()).select_from(model).where(model.id.not_in(entries)))
    missing_record = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.record_type == model.__tablename__, AuditEntry.action == "create",
        AuditEntry.record_id.not_in(select(model.id))))
    return missing_entry + missing_record


def stored(model) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(model))


def wait_until_stored(model, count: int, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if stored(model) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} {model.__tablename__} rows after {seconds} s")


def integrity_problems() -> list:
    """SQLite's integrity and foreign-key checks; on PostgreSQL, amcheck over every index."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            checked = connection.exec_driver_sql("PRAGMA integrity_check").scalars().all()
            return ([] if checked == ["ok"] else checked) + connection.exec_driver_sql(
                "PRAGMA foreign_key_check").all()
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS amcheck")
        indexes = connection.execute(text(
            "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE a.amname = 'btree' AND n.nspname = 'public'")).scalars().all()
        for index in indexes:
            connection.execute(text("SELECT bt_index_check(CAST(:index AS regclass), true)"), {"index": index})
        connection.commit()
        return []


def figures(name: str, attempts, stored_rows: int) -> dict:
    counts = {outcome: sum(a.outcome == outcome for a in attempts) for outcome in ("stored", "refused", "failed")}
    acknowledged = {a.key for a in attempts if a.outcome == "stored" and a.kind != "edit"}
    print(f"\n{name}: attempts {len(attempts)}, told stored {counts['stored']}, refused {counts['refused']}, "
          f"failed {counts['failed']}, rows stored {stored_rows}")
    return {**counts, "acknowledged": acknowledged}


def test_many_processes_at_once_lose_nothing_and_never_show_a_locked_database(load_database, tmp_path):
    app, url = load_database
    marker = "并发测试"
    with app.app_context():
        customer_id = db.session.scalar(select(Customer.id))
    with load_clients.Served(url, workers=3, log_path=tmp_path / "gunicorn.log") as served:
        attempts = run_clients(
            [(load_clients.send_cards, (served.port, 30, marker, None, 10))] * 4
            + [(load_clients.send_tickets, (served.port, 20, marker))] * 2
            + [(load_clients.edit_customer, (served.port, name, PASSWORD, customer_id, 15)) for name in ("wang", "li")])

    with app.app_context():
        cards = held(FeedbackCard.reference, FeedbackCard.comments, marker)
        tickets = held(HotlineTicket.number, HotlineTicket.description, marker)
        customer = db.session.get(Customer, customer_id)
        saved_edits = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.record_type == "customer", AuditEntry.action == "update"))
        card_figures = figures("cards", [a for a in attempts if a.kind == "card"], len(cards))
        ticket_figures = figures("tickets", [a for a in attempts if a.kind == "ticket"], len(tickets))
        edits = [a for a in attempts if a.kind == "edit"]
        edit_figures = figures("clerk edits", edits, saved_edits)

        assert [a for a in attempts if a.outcome == "failed" or a.locked_message] == []
        assert (card_figures["stored"], card_figures["refused"], ticket_figures["stored"]) == (108, 12, 40)
        assert held(FeedbackCard.reference, FeedbackCard.comments, load_clients.REFUSED_MARK) == {}
        assert set(cards) == card_figures["acknowledged"] and each_form_once(cards)  # none lost, none twice
        assert set(tickets) == ticket_figures["acknowledged"] and each_form_once(tickets)
        assert edit_figures["stored"] >= 1 and edit_figures["stored"] + edit_figures["refused"] == 30
        saved_from = [a.sent_version for a in edits if a.outcome == "stored"]
        assert len(set(saved_from)) == len(saved_from)  # never two saves from one version: none overwrote another
        assert customer.version == 1 + edit_figures["stored"] == 1 + saved_edits


def test_workers_killed_mid_load_leave_no_partial_record_and_loses_no_acknowledged_one(load_database, tmp_path):
    app, url = load_database
    marker = "崩溃测试"
    with load_clients.Served(url, workers=3, log_path=tmp_path / "gunicorn.log") as served:
        with ProcessPoolExecutor(max_workers=6, mp_context=get_context("spawn")) as pool:
            stop = tmp_path / "stop"
            futures = [pool.submit(load_clients.send_cards, served.port, 0, marker, str(stop)) for _ in range(4)]
            futures += [pool.submit(load_clients.send_tickets, served.port, 0, marker, str(stop)) for _ in range(2)]
            with app.app_context():
                wait_until_stored(FeedbackCard, 30)  # the clients have filled in their forms and are sending
                killed = served.kill_workers()
                wait_until_stored(FeedbackCard, stored(FeedbackCard) + 30)  # sending again, to new workers
                killed += served.kill_workers(1)
                wait_until_stored(FeedbackCard, stored(FeedbackCard) + 30)
            stop.touch()
            attempts = [attempt for future in futures for attempt in future.result()]
        assert load_clients.Client("127.0.0.1", served.port, timeout=10).get("/healthz").status == 200
        assert not set(killed) & set(served.worker_pids())  # the killed workers were replaced

    with app.app_context():
        cards = held(FeedbackCard.reference, FeedbackCard.comments, marker)
        tickets = held(HotlineTicket.number, HotlineTicket.description, marker)
        card_figures = figures("cards (workers killed)", [a for a in attempts if a.kind == "card"], len(cards))
        ticket_figures = figures("tickets (workers killed)", [a for a in attempts if a.kind == "ticket"],
                                 len(tickets))

        assert card_figures["stored"] > 0 and ticket_figures["stored"] > 0
        assert card_figures["failed"] + ticket_figures["failed"] > 0  # the kills did cut requests short
        assert [a for a in attempts if a.outcome == "failed" and a.detail[:1].isdigit()] == []  # no 5xx page
        assert card_figures["refused"] == ticket_figures["refused"] == 0  # a form sent again is not refused
        assert card_figures["acknowledged"] <= set(cards) and each_form_once(cards)  # nothing told stored is lost
        assert ticket_figures["acknowledged"] <= set(tickets) and each_form_once(tickets)
        assert without_trail(FeedbackCard) == 0 and without_trail(HotlineTicket) == 0
        assert integrity_problems() == []


def test_sign_in_throttling_counts_failures_across_every_worker(load_database, tmp_path):
    """Each try on a connection of its own, so that the tries land on different worker
    processes: the count of failures is kept in the database, which they share."""
    _app, url = load_database
    statuses = []
    with load_clients.Served(url, workers=3, log_path=tmp_path / "gunicorn.log") as served:
        for _try in range(6):
            client = load_clients.Client("127.0.0.1", served.port, timeout=30)
            token = load_clients.hidden_value(client.get("/login").text(), "csrf_token")
            reply = client.post("/login", {"csrf_token": token, "username": "wang", "password": "wrong"})
            statuses.append(reply.status)
            client.close()
        locked_page = reply.text()
    assert statuses == [401] * 5 + [429]
    assert "登录失败次数过多" in locked_page
