"""Language selection: the user's preference, then the browser, then Chinese."""
import functools
import os

from babel import Locale
from flask_babel import Domain, get_locale

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user

from crm.extensions import babel

# Shown in the language's own script, so they stay readable whatever the interface language.
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}
SESSION_KEY = "language"


def supported_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    languages = supported_languages()
    if not has_request_context():
        return _process_language(languages)
    user_choice = getattr(current_user, "language", None) if current_user else None
    if user_choice in languages:
        return user_choice
    session_choice = session.get(SESSION_KEY)
    if session_choice in languages:
        return session_choice
    best = request.accept_languages.best_match(_browser_tags(languages))
    return _browser_tags(languages).get(best, current_app.config["BABEL_DEFAULT_LOCALE"])


def _process_language(languages: tuple[str, ...]) -> str:
    """For command-line use: the language of the process's locale (LANG=en_US.UTF-8 -> en)."""
    setting = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    code = setting.split(".", 1)[0]
    for candidate in (code, code.split("_", 1)[0]):
        if candidate in languages:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _browser_tags(languages: tuple[str, ...]) -> dict[str, str]:
    """Map the tags browsers send (zh-CN, zh, en-US...) to our catalog names."""
    tags: dict[str, str] = {}
    for code in languages:
        tags[code.replace("_", "-")] = code
        tags.setdefault(code.split("_")[0], code)
    tags.setdefault("zh-Hans", "zh_CN")
    return tags


def html_lang(locale_code: str) -> str:
    """The BCP 47 tag for the `lang` attribute."""
    return "zh-CN" if locale_code.startswith("zh") else locale_code.replace("_", "-")


@functools.cache
def _parsed(code: str) -> Locale:
    return Locale.parse(code)


def selected_locale() -> Locale:
    """select_locale() as a Babel Locale, parsed once per code: Flask-Babel would parse the
    code again on every request (a scan of Babel's locale data, a tenth of a list page)."""
    return _parsed(select_locale())


class QuickDomain(Domain):
    """Flask-Babel's message domain, finding a locale's translations by the request's
    locale object: Flask-Babel looks the request context up again and names the locale
    on every string, which made translation a tenth of a list page's time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.by_locale = {}

    def get_translations(self):
        locale = get_locale()
        if locale is None:
            return super().get_translations()
        translations = self.by_locale.get(locale)
        if translations is None:
            translations = self.by_locale[locale] = super().get_translations()
        return translations


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=selected_locale)
    domain = babel.__dict__.get("domain_instance")
    if not isinstance(domain, QuickDomain):  # one for every app, as Flask-Babel's own
        domain = babel.domain_instance = QuickDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: domain.get_translations().ugettext(text),
        ngettext=lambda singular, plural, n: domain.get_translations().ungettext(singular, plural, n),
        pgettext=lambda context, text: domain.get_translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: domain.get_translations().unpgettext(
            context, singular, plural, n),
        newstyle=True,
    )

