"""The headers every response carries so that a browser does not let a page be framed,
guessed, cached or made to run a script it did not come with.

Content-Security-Policy: scripts only from this site, and an inline script only with the
request's nonce (Flask-Admin puts it on its own inline scripts, `csp_nonce_generator`);
no inline event handlers, no `javascript:` links, no plugins, no framing, forms posted
only here. Styles may be inline: Flask-Admin's widgets (select2, the date picker) set
style attributes from their scripts.

Cache-Control: no-store on everything but static files: every other page shows a user's
records, a ticket's state or a form with the session's CSRF token, none of which a
browser's history or a proxy should keep.
"""
import secrets

from flask import Flask, g, request

_POLICY = (
    "default-src 'self'; script-src 'self'{nonce}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This request's nonce for inline scripts (made when a page first asks for it)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def content_security_policy(nonce: str | None) -> str:
    return _POLICY.format(nonce=f" 'nonce-{nonce}'" if nonce else "")


def _is_static_file() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def add_headers(response):
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(g.get("csp_nonce"))
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    if not _is_static_file():
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
