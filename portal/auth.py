"""Back-office sign-in, sign-out and password change."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user, user_logged_in
from sqlalchemy import bindparam, select

from crm.extensions import db, login_manager
from crm.models import User
from crm.services import audit, login_guard
from crm.services import users as user_service
from crm.services.errors import ServiceError
from forms.auth import ChangePasswordForm, LoginForm
from portal.safety import is_local_path

blueprint = Blueprint("auth", __name__)
# Every back-office request reads its user: the statement is built once.
USER_BY_ID = select(User).where(User.id == bindparam("id"))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Sessions carry `id:token`; a token changed by sign-out or a new password ends them."""
    user_id, _sep, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.scalar(USER_BY_ID, {"id": int(user_id)})
    if user is None or user.session_token != token:
        return None
    audit.remember_actor(user)
    return user


@user_logged_in.connect
def _remember_signed_in_user(_app, user, **_extra):
    audit.remember_actor(user)


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_landing_page(form.next.data))
    status = 200
    if form.validate_on_submit():
        status = _attempt_login(form)
        if status == 302:
            return redirect(_landing_page(form.next.data))
    elif request.method == "POST":
        status = 400
    return render_template("portal/login.html", form=form), status


def _attempt_login(form: LoginForm) -> int:
    address = request.remote_addr or ""
    minutes = login_guard.minutes_locked(form.username.data, address)
    if minutes:
        flash(_("Too many failed sign-ins. Try again in %(minutes)d minutes.", minutes=minutes), "error")
        return 429
    user = user_service.authenticate(form.username.data, form.password.data)
    if user is None:
        login_guard.record_failure(form.username.data, address)
        flash(_("The username or password is not right."), "error")
        return 401
    login_guard.clear_failures(form.username.data)
    login_user(user, remember=form.remember.data)
    user_service.record_login(user)
    return 302


@blueprint.post("/logout")
def logout():
    if current_user.is_authenticated:
        user_service.end_sessions(current_user)
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user_service.change_password(current_user, form.current_password.data, form.new_password.data)
        except ServiceError as error:
            form.current_password.errors.append(str(error.message))
        else:
            login_user(current_user._get_current_object())  # a fresh session with the new token
            flash(_("Your password was changed. Other devices have been signed out."), "success")
            return redirect(_landing_page(None))
    return render_template("portal/change_password.html", form=form), 200 if request.method == "GET" else 400


def _landing_page(next_target: str | None) -> str:
    if is_local_path(next_target):
        return next_target
    return url_for("admin.index")


