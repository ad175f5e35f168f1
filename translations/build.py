"""Extract strings, update the zh_CN and en catalogs, fill Chinese from zh_CN.tsv, compile.

Run from the project root: python translations/build.py
"""
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "translations"
TEMPLATE = CATALOGS / "messages.pot"


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=True)


def chinese_wording() -> dict[str, str]:
    rows = (CATALOGS / "zh_CN.tsv").read_text(encoding="utf-8").splitlines()
    return dict(row.split("\t", 1) for row in rows if row.strip())


def fill_and_compile(locale: str, wording: dict[str, str]) -> list[str]:
    po_path = CATALOGS / locale / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        if locale == "zh_CN":
            message.string = wording.get(message.id, "")
            if not message.string:
                missing.append(message.id)
        message.flags.discard("fuzzy")
    with po_path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)
    with po_path.with_suffix(".mo").open("wb") as handle:
        write_mo(handle, catalog)
    return missing


def compile_flask_admin_chinese() -> None:
    """Flask-Admin's own Chinese, compiled from the catalogue it ships: the compiled file it
    ships is older than that catalogue and lacks "Failed to create record." and others,
    which then showed in English. admin_views gives Admin this folder first."""
    import flask_admin

    source = Path(flask_admin.__file__).parent / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "admin.po"
    target = CATALOGS / "flask_admin" / "zh_Hans_CN" / "LC_MESSAGES" / "admin.mo"
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans_CN")
    with target.open("wb") as handle:
        write_mo(handle, catalog)


def main() -> int:
    pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--sort-output",
            "--no-location", "-o", str(TEMPLATE), ".")
    pybabel("update", "-i", str(TEMPLATE), "-d", str(CATALOGS), "--no-fuzzy-matching", "--ignore-obsolete")
    wording = chinese_wording()
    missing = fill_and_compile("zh_CN", wording)
    fill_and_compile("en", wording)
    compile_flask_admin_chinese()
    for text in missing:
        print(f"no Chinese for: {text}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
