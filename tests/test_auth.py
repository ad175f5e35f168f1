"""Logging in and out of the back office."""
from urllib.parse import parse_qs, urlsplit

from crm.extensions import db
from crm.models import User
from tests.conftest import log_in, make_user

EN = {"Accept-Language": "en"}


def test_login_page_has_username_and_password_fields(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in page
    assert 'name="password"' in page
    assert 'for="username"' in page and 'for="password"' in page


def test_admin_pages_send_anonymous_visitors_to_login_with_next(client):
    response = client.get("/admin/customer/?page=2")
    assert response.status_code == 302
    url = urlsplit(response.location)
    assert url.path == "/login"
    assert parse_qs(url.query)["next"] == ["/admin/customer/?page=2"]


def test_login_returns_to_the_requested_page(client, app):
    make_user("clerk", "clerk")
    response = client.post("/login", data={"username": "clerk", "password": "correct-horse-42",
                                           "next": "/admin/customer/"})
    assert response.status_code == 302
    assert response.location == "/admin/customer/"


def test_login_ignores_a_next_address_on_another_site(client, app):
    make_user("clerk", "clerk")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/login", data={"username": "clerk", "password": "correct-horse-42",
                                               "next": target})
        assert response.location == "/admin/"
        client.post("/logout")


def test_successful_login_records_last_login(client, app):
    user = make_user("clerk", "clerk")
    log_in(client, "clerk")
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_wrong_password_and_unknown_user_get_the_same_answer(client, app):
    make_user("clerk", "clerk")
    wrong = client.post("/login", data={"username": "clerk", "password": "nope"}, headers=EN)
    unknown = client.post("/login", data={"username": "ghost", "password": "nope"}, headers=EN)
    assert wrong.status_code == unknown.status_code == 401
    assert "The username or password is not right." in wrong.get_data(as_text=True)
    assert "The username or password is not right." in unknown.get_data(as_text=True)


def test_failed_login_keeps_the_typed_username(client, app):
    response = client.post("/login", data={"username": "someone", "password": "nope"})
    assert 'value="someone"' in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(client, app):
    make_user("gone", "clerk", active=False)
    response = log_in(client, "gone")
    assert response.status_code == 401
    assert client.get("/admin/").status_code == 302


def test_deactivated_user_loses_an_open_session(client, app):
    user = make_user("clerk", "clerk")
    log_in(client, "clerk")
    assert client.get("/admin/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_empty_fields_get_translated_messages(client):
    page = client.post("/login", data={}, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "请输入用户名。" in page
    assert "请输入密码。" in page


def test_logout_is_a_post(clerk_client):
    assert clerk_client.get("/logout").status_code == 405
    response = clerk_client.post("/logout")
    assert response.status_code == 302
    assert clerk_client.get("/admin/").status_code == 302


def test_passwords_are_stored_as_scrypt_hashes(app):
    user = make_user("clerk", "clerk")
    assert user.password_hash.startswith("scrypt:")
    assert db.session.get(User, user.id).check_password("correct-horse-42")


def test_clerk_and_admin_open_the_back_office(admin_client, clerk_client):
    assert admin_client.get("/admin/").status_code == 200
    assert clerk_client.get("/admin/").status_code == 200


def test_a_view_the_role_may_not_open_is_a_translated_403(dealer_client):
    response = dealer_client.get("/admin/user/", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 403
    assert "您没有权限打开此页面" in response.get_data(as_text=True)


def test_only_admins_manage_users(clerk_client, admin_client):
    assert clerk_client.get("/admin/user/").status_code == 403
    assert admin_client.get("/admin/user/").status_code == 200


def test_menu_hides_users_from_clerks(clerk_client):
    page = clerk_client.get("/admin/").get_data(as_text=True)
    assert "/admin/user/" not in page
    assert "/admin/customer/" in page
