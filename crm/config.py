"""Configuration read from environment variables (at app creation), with safe defaults."""
import os
from pathlib import Path

INSECURE_DEFAULT_KEY = "dev-only-insecure-key"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


def _normalise_database_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` forms and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in ("1", "true", "yes", "on")


def parse_sla_targets(text: str) -> dict[str, tuple[float, int]]:
    """SLA_TARGETS such as "critical=4h/3d,high=8h/5d": per severity, the first response in
    business hours and the resolution in working days. A typo stops the start-up with the
    entry named, rather than silently keeping the defaults."""
    targets = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        severity, _, spec = entry.partition("=")
        try:
            hours, days = spec.strip().lower().split("/")
            if not (hours.endswith("h") and days.endswith("d")):
                raise ValueError
            targets[severity.strip()] = (float(hours[:-1]), int(days[:-1]))
        except ValueError:
            raise ValueError(f"SLA_TARGETS: cannot read {entry!r}; write it like critical=4h/3d") from None
    return targets


def environment_settings() -> dict:
    """Settings for this process, from its environment. LIFELONG_ENV=production hardens them."""
    env_name = os.environ.get("LIFELONG_ENV", "development")
    production = env_name == "production"
    return {
        "ENV_NAME": env_name,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "" if production else INSECURE_DEFAULT_KEY),
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(
            os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'lifelong.db'}")
        ),
        # How long a SQLite writer waits for the lock before giving up.
        "SQLITE_BUSY_TIMEOUT_MS": int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "10000")),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LANGUAGES": ("zh_CN", "en"),
        "DEFAULT_PHONE_REGION": os.environ.get("DEFAULT_PHONE_REGION", "CN"),
        # The address printed feedback cards point to, e.g. https://fankui.example.cn (default: this request's).
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "").rstrip("/"),
        # Business time for complaint deadlines (crm.services.sla); dates are comma-separated ISO dates.
        "SLA_TARGETS": parse_sla_targets(os.environ.get("SLA_TARGETS", "")),
        "SLA_DAY_START": os.environ.get("SLA_DAY_START", "09:00"),
        "SLA_DAY_END": os.environ.get("SLA_DAY_END", "18:00"),
        "SLA_EXTRA_HOLIDAYS": os.environ.get("SLA_EXTRA_HOLIDAYS", ""),
        "SLA_EXTRA_WORKDAYS": os.environ.get("SLA_EXTRA_WORKDAYS", ""),
        # Greeting holidays beside the lunar ones (crm.services.care), e.g. "国庆节:10-01,元旦:01-01".
        "GREETING_HOLIDAYS": os.environ.get("GREETING_HOLIDAYS", ""),
        # The dashboard is computed at most this often (seconds) and shared by all server
        # processes; its page says when, and offers to refresh now.
        "DASHBOARD_MAX_AGE_SECONDS": int(os.environ.get("DASHBOARD_MAX_AGE_SECONDS", "300")),
        "REPEAT_COMPLAINT_THRESHOLD": int(os.environ.get("REPEAT_COMPLAINT_THRESHOLD", "3")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "WTF_CSRF_TIME_LIMIT": None,  # a clerk's form stays valid for the whole session
        # Public forms accepted per hour from one address and for one phone number; an
        # exhibition hall behind one shared address may need more; 0 means no limit.
        "PUBLIC_SUBMITS_PER_ADDRESS": int(os.environ.get("PUBLIC_SUBMITS_PER_ADDRESS", "20")),
        "PUBLIC_SUBMITS_PER_PHONE": int(os.environ.get("PUBLIC_SUBMITS_PER_PHONE", "5")),
        # How many reverse proxies stand in front of the app, each adding X-Forwarded-For and
        # -Proto (crm.app.trust_proxies); 0 when clients connect to gunicorn directly.
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", "0")),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024))),
        # Order spreadsheets may be larger than other uploads (100,000 rows of CSV is about 20 MB).
        "IMPORT_MAX_BYTES": int(os.environ.get("IMPORT_MAX_BYTES", str(64 * 1024 * 1024))),
    }


# Overrides for the test suite (tests/conftest.py); the database comes from TEST_DATABASE_URL.
TEST_SETTINGS = {
    "ENV_NAME": "test",
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "WTF_CSRF_ENABLED": False,
    "DASHBOARD_MAX_AGE_SECONDS": 0,  # tests change data between reads; test_dashboard turns it on
}


def check_production_secret(config: dict) -> None:
    """A production start refuses a missing or well-known secret key."""
    if config.get("ENV_NAME") != "production":
        return
    key = config.get("SECRET_KEY") or ""
    if key == INSECURE_DEFAULT_KEY or len(key) < 16:
        raise RuntimeError(
            "SECRET_KEY must be set to a long random value in production "
            "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )
