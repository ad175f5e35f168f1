"""The application factory: configuration -> extensions -> portal -> back office -> CLI."""
from pathlib import Path
from urllib.parse import quote

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.middleware.proxy_fix import ProxyFix

from crm import cli, csrf_tokens, database, failures, i18n, security_headers
from crm.services import audit
from crm.config import INSTANCE_DIR, check_production_secret, environment_settings
from crm.extensions import csrf, db, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ERROR_CODES = (400, 403, 404, 405, 409, 413, 429, 500)
SPREADSHEET_UPLOAD = "order_import.upload"


def create_app(config: object | dict | None = None) -> Flask:
    app = Flask(__name__)
    load_config(app, config)
    app.wsgi_app = _PercentEncodedQuery(app.wsgi_app)
    trust_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    register_admin(app)
    register_error_pages(app)
    cli.init_app(app)
    return app


def load_config(app: Flask, config: object | dict | None) -> None:
    app.config.update(environment_settings())
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    check_production_secret(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith(f"sqlite:///{INSTANCE_DIR}"):
        INSTANCE_DIR.mkdir(exist_ok=True)


class _PercentEncodedQuery:
    """Percent-encodes bytes of the query string that are not ASCII. Browsers always do;
    a request written by hand may not, and werkzeug, which decodes the query as UTF-8 when
    a page first reads its arguments, then fails on bytes that are no UTF-8. Encoded, they
    reach the page as the replacement character, and the page answers as for any odd value."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        if not query.isascii():
            environ["QUERY_STRING"] = quote(query.encode("latin-1"), safe="=&;%+/?:@!$'()*,~")
        return self.wsgi_app(environ, start_response)


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_HOPS reverse proxies (nginx, a load balancer), read the client's address
    and scheme from the X-Forwarded-* headers they add: throttling, spam checks and the
    audit trail need the real address, HSTS and secure cookies the real scheme. With no
    proxy those headers are ignored, since any client could send them."""
    hops = app.config["PROXY_HOPS"]
    if hops:  # only these two: a forwarded host or prefix the proxy does not set would be the client's
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_prefix=0)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    database.init_app(app)
    audit.install()
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    app.before_request(_allow_large_spreadsheets)  # before CSRF reads the form
    csrf.init_app(app)
    csrf_tokens.init_app(app)
    security_headers.init_app(app)
    i18n.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page says why on its own
    app.jinja_env.globals.update(
        html_lang=lambda: i18n.html_lang(str(get_locale())),
        language_names=i18n.LANGUAGE_NAMES,
    )


def _allow_large_spreadsheets() -> None:
    if request.endpoint == SPREADSHEET_UPLOAD:
        request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]


def register_blueprints(app: Flask) -> None:
    from portal import auth, intake, public

    app.register_blueprint(public.blueprint)
    app.register_blueprint(auth.blueprint)
    # The public forms check their own CSRF token (FlaskForm), so that a token that expired
    # while the page was open re-shows the form with everything typed instead of an error.
    csrf.exempt(intake.blueprint)
    app.register_blueprint(intake.blueprint)


def register_admin(app: Flask) -> None:
    import admin_views

    admin_views.init_app(app)


def register_error_pages(app: Flask) -> None:
    for code in ERROR_CODES:
        app.register_error_handler(code, _error_page(code))
    app.register_error_handler(StaleDataError, _error_page(409))


def _error_page(code: int):
    def handler(error):
        reference = None
        if code in (409, 500):
            _end_failed_transaction()
        if code == 500:
            reference = failures.log_failure(error)
        return render_template("portal/error.html", code=code, reference=reference), code

    return handler


def _end_failed_transaction() -> None:
    try:
        db.session.rollback()
    except Exception:  # the database itself may be what failed; the page must still be shown
        current_app.logger.warning("Could not roll back after a failure", exc_info=True)
