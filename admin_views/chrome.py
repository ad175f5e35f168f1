"""The frame of every back-office page that is the same for everyone with the same role:
the main menu and the addresses of Flask-Admin's static files.

Flask-Admin renders the menu on every page, asking every view whether the user may open
it; which views a user may open depends only on their role (crm.access), so each
(role, language, page) menu is rendered once per process and kept. The static files'
addresses never change while the app runs.
"""
from flask import current_app, render_template, request, url_for
from flask_babel import get_locale
from markupsafe import Markup

from admin_views.base import signed_in_user


def _cache(name: str) -> dict:
    return current_app.extensions.setdefault(f"lifelong_{name}", {})


def main_menu(admin_view) -> Markup:
    """Flask-Admin's menu (admin/layout.html's menu()) for this user's role, in this
    language, with this page's entry marked active."""
    user = signed_in_user()
    role = (getattr(user, "role", None), bool(getattr(user, "dealer_id", None)), getattr(user, "is_active", False))
    key = (role, str(get_locale()), admin_view.endpoint, request.script_root)
    menus = _cache("menus")
    if key not in menus:
        menus[key] = Markup(render_template("admin/_menu.html", admin_view=admin_view))
    return menus[key]


def admin_asset(filename: str, version: str | None = None) -> str:
    """The address of one of Flask-Admin's static files (admin/static.html's url())."""
    key = (filename, version, request.script_root)
    urls = _cache("asset_urls")
    if key not in urls:
        urls[key] = url_for("admin.static", filename=filename, v=version) if version else \
            url_for("admin.static", filename=filename)
    return urls[key]
