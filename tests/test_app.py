"""The app factory, configuration, the health check and SQLite's safety settings."""
import pytest
from sqlalchemy import text

from crm.app import create_app
from crm.config import INSECURE_DEFAULT_KEY, _normalise_database_url
from crm.database import write_transaction
from crm.extensions import db
from tests.conftest import recorded_statements


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.setenv("LIFELONG_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", INSECURE_DEFAULT_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_a_missing_secret_key(monkeypatch):
    monkeypatch.setenv("LIFELONG_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_a_real_secret_key_and_secure_cookies(monkeypatch):
    monkeypatch.setenv("LIFELONG_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_database_url_accepts_the_postgres_scheme():
    assert _normalise_database_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert _normalise_database_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert _normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_the_factory_creates_no_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        tables = db.session.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).all()
    assert tables == []


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_does_not(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db", "TESTING": True})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


def _sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite connection settings")


def test_sqlite_uses_wal_busy_timeout_and_foreign_keys(app):
    _sqlite_only(app)
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_sqlite_write_transactions_take_the_lock_at_begin(app):
    _sqlite_only(app)
    db.session.remove()
    with recorded_statements(db.engine) as statements:
        with write_transaction():
            db.session.execute(text("SELECT 1"))
            db.session.rollback()
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    assert "BEGIN IMMEDIATE" in statements
    assert statements.count("BEGIN") == 1


def test_a_post_request_takes_the_write_lock(app, admin_client):
    _sqlite_only(app)
    with recorded_statements(db.engine) as seen:
        admin_client.post("/admin/product/new/", data={"model_number": "X-1", "name": "测试", "category": "sofa",
                                                       "warranty_months": "12"})
    assert "BEGIN IMMEDIATE" in seen


def test_unknown_page_is_a_translated_404(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_pages_declare_their_language(client):
    assert '<html lang="zh-CN">' in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
