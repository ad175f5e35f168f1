"""Sign-in that holds up: throttling, sessions that end, cookies, CSRF, password changes."""
import pytest
from flask.testing import FlaskClient

from crm.app import create_app
from crm.config import TEST_SETTINGS
from crm.extensions import db
from crm.services import login_guard, throttle
from tests.conftest import PASSWORD, log_in, make_user

EN = {"Accept-Language": "en"}


def fail(client, username="clerk", address="10.0.0.1"):
    return client.post("/login", data={"username": username, "password": "wrong"},
                       environ_base={"REMOTE_ADDR": address}, headers=EN)


def test_five_failures_for_a_username_lock_it_even_with_the_right_password(client, app):
    make_user("clerk", "clerk")
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"):
        assert fail(client, address=address).status_code == 401
    response = client.post("/login", data={"username": "clerk", "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.0.0.9"}, headers=EN)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)


def test_five_failures_from_an_address_lock_that_address(client, app):
    make_user("clerk", "clerk")
    for name in ("a", "b", "c", "d", "e"):
        fail(client, username=name, address="10.9.9.9")
    response = client.post("/login", data={"username": "clerk", "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 429


def test_four_failures_do_not_lock(client, app):
    make_user("clerk", "clerk")
    for _ in range(4):
        fail(client)
    assert log_in(client, "clerk").status_code == 302


def test_the_lock_holds_across_server_processes(app, _schema):
    """A second app instance stands for a second gunicorn worker: they share only the database."""
    make_user("clerk", "clerk")
    first = app.test_client()
    for _ in range(5):
        fail(first)
    second_app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": _schema})
    second_app.test_client_class = type(first)
    with second_app.app_context():
        response = fail(second_app.test_client())
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 429


def test_the_lock_ends_when_the_window_has_passed(client, app, monkeypatch):
    make_user("clerk", "clerk")
    for _ in range(5):
        fail(client)
    later = throttle.now() + login_guard.WINDOW
    monkeypatch.setattr(throttle, "now", lambda: later)
    assert log_in(client, "clerk").status_code == 302


def test_a_copied_session_cookie_stops_working_after_logout(app):
    make_user("clerk", "clerk")
    client = app.test_client()
    log_in(client, "clerk")
    stolen = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/admin/").status_code == 302


def test_a_remember_me_cookie_stops_working_after_logout(app):
    make_user("clerk", "clerk")
    client = app.test_client()
    client.post("/login", data={"username": "clerk", "password": PASSWORD, "remember": "y"})
    remembered = client.get_cookie("remember_token").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert thief.get("/admin/").status_code == 302


def test_deactivation_ends_existing_sessions(app, admin_client):
    user = make_user("clerk", "clerk")
    clerk = app.test_client()
    log_in(clerk, "clerk")
    admin_client.post(f"/admin/user/edit/?id={user.id}", data={"username": "clerk", "role": "clerk", "dealer": ""})
    db.session.refresh(user)
    assert user.active is False
    assert clerk.get("/admin/").status_code == 302


def test_a_password_reset_by_an_admin_ends_existing_sessions(app, admin_client):
    user = make_user("clerk", "clerk")
    clerk = app.test_client()
    log_in(clerk, "clerk")
    admin_client.post(f"/admin/user/edit/?id={user.id}", data={"username": "clerk", "role": "clerk", "dealer": "",
                                                              "active": "y", "password": "brand-new-pass"})
    assert clerk.get("/admin/").status_code == 302
    assert log_in(app.test_client(), "clerk", "brand-new-pass").status_code == 302


def test_changing_your_password_keeps_you_in_and_signs_out_other_devices(app):
    make_user("clerk", "clerk")
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, "clerk")
    log_in(phone, "clerk")
    response = laptop.post("/account/password", data={"current_password": PASSWORD,
                                                      "new_password": "another-pass-1", "confirm": "another-pass-1"})
    assert response.status_code == 302
    assert laptop.get("/admin/").status_code == 200
    assert phone.get("/admin/").status_code == 302
    assert log_in(app.test_client(), "clerk", "another-pass-1").status_code == 302


def test_a_wrong_current_password_is_refused_next_to_the_field(app):
    make_user("clerk", "clerk")
    client = app.test_client()
    log_in(client, "clerk")
    response = client.post("/account/password", headers={"Accept-Language": "zh-CN"}, data={
        "current_password": "nope", "new_password": "another-pass-1", "confirm": "another-pass-1"})
    assert response.status_code == 400
    assert "当前密码不正确。" in response.get_data(as_text=True)


def test_the_password_page_needs_a_login(client):
    assert client.get("/account/password").location.startswith("/login")


def test_session_cookies_are_httponly_and_samesite_lax(app):
    make_user("clerk", "clerk")
    client = app.test_client()
    response = client.post("/login", data={"username": "clerk", "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("session=", "remember_token="):
        header = next(cookie for cookie in cookies if cookie.startswith(name))
        assert "HttpOnly" in header and "SameSite=Lax" in header


def test_cookies_are_secure_in_production(monkeypatch):
    monkeypatch.setenv("LIFELONG_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def _csrf_token(client: FlaskClient, path: str) -> str:
    import re

    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("path,data", [
    ("/login", {"username": "x", "password": "y"}),
    ("/logout", {}),
    ("/language", {"language": "en"}),
    ("/admin/product/new/", {"model_number": "X", "name": "x", "category": "sofa", "warranty_months": "1"}),
    ("/admin/product/delete/", {"id": "1"}),
    ("/admin/product/action/", {"action": "delete", "rowid": "1"}),
])
def test_every_state_changing_request_needs_a_csrf_token(csrf_app, app, path, data):
    make_user("admin", "admin")
    client = csrf_app.test_client()
    token = _csrf_token(client, "/login")
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    assert client.get("/admin/").status_code == 200
    assert client.post(path, data=data).status_code == 400


def test_admin_forms_carry_a_csrf_token_that_works(csrf_app, app):
    make_user("admin", "admin")
    client = csrf_app.test_client()
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": _csrf_token(client, "/login")})
    token = _csrf_token(client, "/admin/product/new/")
    response = client.post("/admin/product/new/", data={"model_number": "X-9", "name": "x", "category": "sofa",
                                                        "warranty_months": "1", "csrf_token": token})
    assert response.status_code == 302


def test_no_get_request_changes_state(app, admin_client):
    for path in ("/logout", "/language?language=en", "/admin/product/delete/?id=1", "/admin/complaint/note/?id=1",
                 "/admin/feedback_card/link/?id=1"):
        assert admin_client.get(path).status_code == 405, path
