"""Redirect targets that stay on this site."""
from urllib.parse import urlsplit


def is_local_path(target: str | None) -> bool:
    """True for `/admin/...`-style paths; false for other hosts, schemes and `//evil` tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
