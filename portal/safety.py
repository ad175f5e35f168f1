"""Redirect targets that stay on this site."""
from urllib.parse import urlsplit


def is_local_path(target: str | None) -> bool:
    """True for `/admin/...`-style paths; false for other hosts, schemes and `//evil` tricks,
    and for anything with a control character or space (a line break would end the
    Location header: werkzeug refuses it, and a browser might read what follows)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ch.isspace() or not ch.isprintable() for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
