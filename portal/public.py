"""Public pages: welcome, health check, language choice."""
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from crm.extensions import db
from crm.i18n import SESSION_KEY
from crm.services import users as user_service
from portal.safety import is_local_path

blueprint = Blueprint("public", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/portal-assets")


@blueprint.get("/")
def index():
    return render_template("portal/index.html")


@blueprint.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means unhealthy
        db.session.rollback()
        return {"status": "unavailable", "database": "error"}, 503
    return {"status": "ok", "database": "ok"}


@blueprint.post("/language")
def choose_language():
    code = request.form.get("language", "")
    if code in current_app.config["LANGUAGES"]:
        session[SESSION_KEY] = code
        if current_user.is_authenticated:
            user_service.set_language(current_user, code)
    target = request.form.get("next", "")
    return redirect(target if is_local_path(target) else url_for("public.index"))
