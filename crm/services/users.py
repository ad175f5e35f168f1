"""Creating users and checking logins."""
from flask_babel import gettext as _
from sqlalchemy import func, select

from crm.clock import now
from crm.database import write_transaction
from crm.extensions import db
from crm.models import Dealer, User
from crm.models.choices import Role
from crm.services.errors import ServiceError

MIN_PASSWORD_LENGTH = 8


def find_user(username: str) -> User | None:
    """The user with this name, ignoring case."""
    name = (username or "").strip()
    return db.session.scalar(select(User).where(func.lower(User.username) == name.lower()))


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None. The caller cannot tell which part was wrong."""
    user = find_user(username)
    if user is None:
        # Hash anyway, so that an unknown name takes as long as a wrong password.
        User(password_hash="").set_password(password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def record_login(user: User) -> None:
    with write_transaction():
        user.last_login_at = now()
        db.session.commit()


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every session cookie issued so far stops working."""
    with write_transaction():
        user.end_all_sessions()
        db.session.commit()


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password or ""):
        raise ServiceError(_("The current password is not right."))
    if len(new_password or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError(_("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    with write_transaction():
        user.set_password(new_password)
        user.end_all_sessions()
        db.session.commit()


def apply_admin_changes(user: User, new_password: str | None) -> None:
    """What an administrator's save of a user implies: a reset password or a deactivation
    ends the user's existing sessions. Called inside the save's transaction."""
    if new_password:
        user.set_password(new_password)
    if new_password or not user.active:
        user.end_all_sessions()


def create_user(username: str, password: str, role: str, dealer_code: str | None = None) -> User:
    username = (username or "").strip()
    if not username:
        raise ServiceError(_("A username is required."))
    if role not in Role.codes():
        raise ServiceError(
            _("Unknown role %(role)s; choose one of: %(roles)s.", role=role, roles=", ".join(Role.codes()))
        )
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError(_("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    dealer = _dealer_for_role(role, dealer_code)
    with write_transaction():
        if find_user(username) is not None:
            raise ServiceError(_("The username %(name)s is taken.", name=username))
        user = User(username=username, role=role, dealer=dealer, active=True)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
    return user


def dealer_rule_error(role: str | None, dealer: Dealer | None) -> str | None:
    """Why this role and dealership do not go together, or None when they do."""
    if role == Role.DEALER.value and dealer is None:
        return _("A dealer user needs a dealership.")
    if role != Role.DEALER.value and dealer is not None:
        return _("Only dealer users belong to a dealership.")
    return None


def _dealer_for_role(role: str, dealer_code: str | None) -> Dealer | None:
    if role != Role.DEALER.value:
        if dealer_code:
            raise ServiceError(_("Only dealer users belong to a dealership."))
        return None
    if not dealer_code:
        raise ServiceError(_("A dealer user needs a dealership: give its code with --dealer."))
    dealer = db.session.scalar(select(Dealer).where(Dealer.code == dealer_code.strip()))
    if dealer is None:
        raise ServiceError(_("No dealership has the code %(code)s.", code=dealer_code))
    return dealer


def set_language(user: User, language: str) -> None:
    with write_transaction():
        user.language = language
        db.session.commit()
