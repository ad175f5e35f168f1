"""Who may do what. The only place access is decided; the admin and the portal ask here.

Until the access issue brings dealer logins to the back office, admins and clerks open it
and only admins manage users.
"""
from crm.models.choices import Role

BACK_OFFICE_ROLES = frozenset({Role.ADMIN.value, Role.CLERK.value})

# Record kinds by the name the admin registers them under; "*" covers every other kind.
PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    Role.ADMIN.value: {"*": frozenset({"list", "view", "create", "edit", "delete", "export"})},
    Role.CLERK.value: {
        "user": frozenset(),
        "*": frozenset({"list", "view", "create", "edit", "delete", "export"}),
    },
    Role.DEALER.value: {"*": frozenset()},
}


def _is_authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def may_open_back_office(user) -> bool:
    return _is_authenticated(user) and user.role in BACK_OFFICE_ROLES


def allowed_actions(user, record_kind: str) -> frozenset[str]:
    if not may_open_back_office(user):
        return frozenset()
    rules = PERMISSIONS.get(user.role, {})
    return rules.get(record_kind, rules.get("*", frozenset()))


def can(user, action: str, record_kind: str) -> bool:
    return action in allowed_actions(user, record_kind)
