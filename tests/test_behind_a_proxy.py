"""Behind a reverse proxy (PROXY_HOPS), the client's address and scheme come from the
proxy's X-Forwarded-* headers; without one, those headers are ignored, since any client
could send them to pass for someone else."""
import pytest
from sqlalchemy import select

from crm.app import create_app
from crm.config import TEST_SETTINGS
from crm.extensions import db
from crm.models import ThrottleEvent
from crm.security_headers import HSTS
from crm.services.login_guard import BY_ADDRESS

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


@pytest.fixture
def proxied_client(app, _schema):
    """The app as deployed behind one proxy (nginx) that adds X-Forwarded-For and -Proto."""
    return create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": _schema, "PROXY_HOPS": 1}).test_client()


def failed_sign_in_address(client) -> str:
    client.post("/login", data={"username": "nobody", "password": "wrong"}, headers=FORWARDED)
    db.session.rollback()
    return db.session.scalar(select(ThrottleEvent.key).where(ThrottleEvent.kind == BY_ADDRESS))


def test_behind_a_proxy_sign_in_throttling_counts_the_clients_own_address(proxied_client):
    assert failed_sign_in_address(proxied_client) == "203.0.113.7"


def test_without_a_proxy_a_forwarded_address_is_ignored(client):
    assert failed_sign_in_address(client) == "127.0.0.1"


def test_behind_a_proxy_that_received_https_the_response_carries_hsts(proxied_client):
    assert proxied_client.get("/", headers=FORWARDED).headers["Strict-Transport-Security"] == HSTS


def test_without_a_proxy_a_forwarded_scheme_is_ignored(client):
    assert "Strict-Transport-Security" not in client.get("/", headers=FORWARDED).headers
