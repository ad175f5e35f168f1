"""The frame of every back-office page that is the same for everyone with the same role:
the head with its style sheets, the skip link and the main menu, the language buttons and
the scripts (admin/_frame_*.html), and the addresses of Flask-Admin's static files.

Flask-Admin draws these on every page, asking every view whether the user may open it
for the menu and looking up a translation or an address for every line; which views a
user may open depends only on their role (crm.access), so each part is rendered once per
(role, language, page) and process, and kept. A part holds nothing of the request: the
CSP nonce, the one per-request value in it, is put in when the part is used.
"""
from flask import current_app, render_template, request, url_for
from flask_babel import get_locale
from markupsafe import Markup

from admin_views.base import signed_in_user

NONCE_MARK = "\x00nonce\x00"  # where a part's tags take the request's CSP nonce attribute


def _cache(name: str) -> dict:
    return current_app.extensions.setdefault(f"lifelong_{name}", {})


def _role_key() -> tuple:
    """What decides which views a user may open (crm.access.allowed_actions)."""
    user = signed_in_user()
    return getattr(user, "role", None), bool(getattr(user, "dealer_id", None)), bool(getattr(user, "is_active", False))


def frame_part(name: str, admin_view, nonce_attribute="") -> Markup:
    """admin/_frame_NAME.html for this role, language and page."""
    key = (name, _role_key(), str(get_locale()), admin_view.endpoint, request.script_root)
    parts = _cache("frame_parts")
    pieces = parts.get(key)
    if pieces is None:
        html = render_template(f"admin/_frame_{name}.html", admin_view=admin_view, theme=admin_view.admin.theme,
                               admin_csp_nonce_attribute=Markup(NONCE_MARK))
        pieces = parts[key] = html.split(NONCE_MARK)
    return Markup(str(nonce_attribute).join(pieces))


def admin_asset(filename: str, version: str | None = None) -> str:
    """The address of one of Flask-Admin's static files (admin/static.html's url())."""
    key = (filename, version, request.script_root)
    urls = _cache("asset_urls")
    if key not in urls:
        urls[key] = url_for("admin.static", filename=filename, v=version) if version else \
            url_for("admin.static", filename=filename)
    return urls[key]
