"""Text the databases and spreadsheets cannot hold: control characters nobody types (tabs
and line breaks are typed). PostgreSQL refuses NUL in text, and spreadsheets refuse the
others, so a record holding them could be neither stored nor exported. Forms, the back
office and the services all refuse them by this one rule."""
import re

from flask_babel import lazy_gettext as _l

UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
UNSTORABLE_MESSAGE = _l("Remove the control characters from this field; they cannot be stored.")


def holds_unstorable(*texts) -> bool:
    return any(isinstance(text, str) and UNSTORABLE.search(text) for text in texts)
