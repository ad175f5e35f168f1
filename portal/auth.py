"""Back-office login and logout."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from crm.extensions import db, login_manager
from crm.models import User
from crm.services import users as user_service
from forms.auth import LoginForm
from portal.safety import is_local_path

blueprint = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_landing_page(form.next.data))
    if form.validate_on_submit():
        user = user_service.authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            user_service.record_login(user)
            return redirect(_landing_page(form.next.data))
        flash(_("The username or password is not right."), "error")
    status = 200 if request.method == "GET" else 401
    return render_template("portal/login.html", form=form), status


@blueprint.post("/logout")
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


def _landing_page(next_target: str | None) -> str:
    if is_local_path(next_target):
        return next_target
    return url_for("admin.index")
