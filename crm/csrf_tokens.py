"""The CSRF token pages carry in their forms, signed once per session token.

Flask-WTF signs the session's token again on every page that shows a form (sign-out,
language, bulk actions: every back-office page), which cost a list page a tenth of its
rendering. The signed form of a session's token does not change while the session keeps
its token (and tokens do not expire here: WTF_CSRF_TIME_LIMIT is None), so each process
keeps the latest signed forms. Checking a submitted token is Flask-WTF's, unchanged.
"""
from collections import OrderedDict
from threading import Lock

from flask import current_app, session
from flask_wtf.csrf import generate_csrf

KEPT = 10_000  # signed tokens kept per process (one per session seen lately)
_signed: OrderedDict = OrderedDict()
_lock = Lock()


def csrf_token() -> str:
    raw = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if raw is None or current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()  # a new session's first token, or tokens that expire
    key = (current_app.secret_key, raw)
    with _lock:
        token = _signed.get(key)
        if token is not None:
            _signed.move_to_end(key)
            return token
    token = generate_csrf()
    with _lock:
        _signed[key] = token
        if len(_signed) > KEPT:
            _signed.popitem(last=False)
    return token


def init_app(app) -> None:
    """In place of Flask-WTF's generate_csrf, which it gives templates both as a global and
    from a context processor (this one runs after it)."""
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
