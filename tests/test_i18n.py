"""Chinese and English: every string translated, the language chosen and switched."""
from babel.messages.pofile import read_po

from crm.app import PROJECT_ROOT
from crm.extensions import db
from crm.models import User
from tests.conftest import log_in, make_user

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def test_every_message_has_a_chinese_translation():
    with (PROJECT_ROOT / "translations/zh_CN/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    missing = [message.id for message in catalog if message.id and not message.string]
    assert missing == []


def test_the_catalog_covers_every_string_in_the_code():
    with (PROJECT_ROOT / "translations/messages.pot").open("rb") as handle:
        template = {message.id for message in read_po(handle) if message.id}
    with (PROJECT_ROOT / "translations/zh_CN/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = {message.id for message in read_po(handle) if message.id}
    assert template <= catalog


def test_chinese_browsers_get_chinese_labels(clerk_client, customer):
    page = clerk_client.get("/admin/customer/", headers=ZH).get_data(as_text=True)
    assert "手机号码" in page and "经销商" in page


def test_english_browsers_get_english_labels(clerk_client, customer):
    page = clerk_client.get("/admin/customer/", headers=EN).get_data(as_text=True)
    assert "Mobile phone" in page and "Dealer" in page


def test_flask_admins_own_strings_are_chinese(clerk_client, customer):
    page = clerk_client.get("/admin/customer/", headers=ZH).get_data(as_text=True)
    assert "列表" in page  # Flask-Admin's "List"


def test_wtforms_messages_are_chinese(clerk_client):
    page = clerk_client.post("/admin/product/new/", data={"name": ""}, headers=ZH).get_data(as_text=True)
    assert "该字段是必填字段。" in page


def test_the_default_language_is_chinese(client):
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_the_switch_sets_the_language_for_the_session(client):
    client.post("/language", data={"language": "en", "next": "/login"})
    assert "Sign in to the back office" in client.get("/login", headers=ZH).get_data(as_text=True)


def test_the_switch_stores_a_logged_in_users_preference(client, app):
    user = make_user("clerk", "clerk")
    log_in(client, "clerk")
    client.post("/language", data={"language": "en", "next": "/admin/"})
    db.session.refresh(user)
    assert user.language == "en"
    other_browser = app.test_client()
    log_in(other_browser, "clerk")
    assert "Dashboard" in other_browser.get("/admin/", headers=ZH).get_data(as_text=True)


def test_the_switch_ignores_unknown_languages_and_foreign_addresses(client):
    response = client.post("/language", data={"language": "fr", "next": "https://evil.example/"})
    assert response.location == "/"
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_the_switch_is_in_the_navigation_of_every_page(client, clerk_client):
    for visitor, path in ((client, "/"), (client, "/login"), (clerk_client, "/admin/"),
                          (clerk_client, "/admin/customer/")):
        page = visitor.get(path).get_data(as_text=True)
        assert 'action="/language"' in page, path


def test_user_preference_wins_over_the_browser(client, app):
    user = make_user("clerk", "clerk")
    user.language = "en"
    db.session.commit()
    log_in(client, "clerk")
    assert "Dashboard" in client.get("/admin/", headers=ZH).get_data(as_text=True)
    assert db.session.get(User, user.id).language == "en"


def test_flask_admins_own_messages_are_chinese_too(clerk_client):
    """Flask-Admin's messages from its Python side (flashes), which its shipped compiled
    catalogue lacked: translations/build.py compiles its Chinese afresh."""
    page = clerk_client.post("/admin/product/new/", data={"name": ""}, headers=ZH).get_data(as_text=True)
    assert "创建记录失败。" in page and "Failed to create record." not in page
