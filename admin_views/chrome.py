"""The frame of every back-office page that is the same for everyone with the same role:
the top with the style sheets, the skip link and the main menu, the language switch and
the user's controls, the heading, the scripts (admin/_frame_*.html), and the addresses
of Flask-Admin's static files.

Flask-Admin draws these on every page, asking every view whether the user may open it
for the menu and looking up a translation or an address for every line; which views a
user may open depends only on their role (crm.access), so each part is rendered once per
(role, language, page) and process, and kept. A part holds nothing of the request: the
CSP nonce and a few values of the request's own (its CSRF token, its address, the user's
name) go into the part's slots when it is used.
"""
import re

from flask import current_app, render_template, request, url_for
from flask_babel import get_locale
from markupsafe import Markup, escape

from admin_views.scoping import signed_in_user

SLOT = re.compile("\x00(\\w+)\x00")  # where a part takes one of the request's own values


def _cache(name: str) -> dict:
    return current_app.extensions.setdefault(f"lifelong_{name}", {})


def _role_key() -> tuple:
    """What decides which views a user may open (crm.access.allowed_actions)."""
    user = signed_in_user()
    return getattr(user, "role", None), bool(getattr(user, "dealer_id", None)), bool(getattr(user, "is_active", False))


def frame_part(name: str, admin_view, nonce_attribute="", **slots) -> Markup:
    """admin/_frame_NAME.html for this role, language and page, with the request's CSP nonce
    attribute and the values of the part's slots (`slot.csrf` in the template; escaped)."""
    key = (name, _role_key(), str(get_locale()), admin_view.endpoint, request.script_root)
    parts = _cache("frame_parts")
    pieces = parts.get(key)
    if pieces is None:
        marks = {slot: Markup(f"\x00{slot}\x00") for slot in slots}
        html = render_template(f"admin/_frame_{name}.html", admin_view=admin_view, theme=admin_view.admin.theme,
                               admin_csp_nonce_attribute=Markup("\x00nonce\x00"), slot=marks)
        pieces = parts[key] = SLOT.split(html)  # text, slot name, text, slot name, ..., text
    values = {"nonce": str(nonce_attribute), **{slot: escape(value) for slot, value in slots.items()}}
    return Markup("".join(values[piece] if index % 2 else piece for index, piece in enumerate(pieces)))


def admin_asset(filename: str, version: str | None = None) -> str:
    """The address of one of Flask-Admin's static files (admin/static.html's url())."""
    key = (filename, version, request.script_root)
    urls = _cache("asset_urls")
    if key not in urls:
        urls[key] = url_for("admin.static", filename=filename, v=version) if version else \
            url_for("admin.static", filename=filename)
    return urls[key]
