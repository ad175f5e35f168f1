"""Backups of the live database and restoring them (`flask --app wsgi backup PATH`,
`flask --app wsgi restore PATH`).

SQLite is copied with its online backup API in one step: the copy is the database as
one transaction saw it, while other processes keep writing (WAL lets them). PostgreSQL
is copied by pg_dump, which reads one snapshot. A restore checks the file first (SQLite:
integrity check; both: a schema version this code knows) and replaces the database's
contents in one transaction, so a failed restore leaves the database as it was.
"""
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from flask_babel import gettext as _
from flask_migrate import upgrade
from sqlalchemy import text

from crm.extensions import db
from crm.services.errors import ServiceError


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    schema_version: str
    size_bytes: int


def backup(path: str | Path) -> BackupInfo:
    target = Path(path).expanduser().resolve()
    if target.is_dir():
        raise ServiceError(_("%(path)s is a folder; name the backup file.", path=target))
    if _is_sqlite() and target == _sqlite_path():
        raise ServiceError(_("%(path)s is the database itself; write the backup somewhere else.", path=target))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")  # a crash mid-copy leaves no file that looks whole
    try:
        _create_private(partial)
        if _is_sqlite():
            _sqlite_backup(partial)
        else:
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}"])
        version = schema_version_in(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupInfo(target, version, target.stat().st_size)


def restore(path: str | Path) -> BackupInfo:
    source = Path(path).expanduser().resolve()
    version = schema_version_in(source)
    known = _known_revisions()
    if version not in known:
        raise ServiceError(_("The backup has schema version %(version)s, which this version of Lifelong does not "
                             "know; restore it with the version that made it.", version=version))
    db.session.remove()
    if _is_sqlite():
        _sqlite_restore(source)
    else:
        _postgres_restore(source)
    db.engine.dispose()  # pooled connections knew the old schema and statistics
    if version != _head_revision():
        upgrade()  # a backup from an older release: bring its schema up to this one
    return BackupInfo(source, version, source.stat().st_size)


def _create_private(path: Path) -> None:
    """The backup file, readable by its owner only: it holds every customer's personal data
    and the users' password hashes."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def schema_version_in(path: Path) -> str:
    """The schema version (Alembic revision) a backup file holds; refuses a file that is
    not a sound backup of this product."""
    if not path.is_file():
        raise ServiceError(_("There is no backup file at %(path)s.", path=path))
    if _is_sqlite_file(path):
        return _sqlite_schema_version(path)
    if not _is_sqlite():
        return _postgres_schema_version(path)
    raise ServiceError(_("%(path)s is not a backup of a SQLite database.", path=path))


def current_schema_version() -> str | None:
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


# SQLite ---------------------------------------------------------------------------------
def _is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def _sqlite_path() -> Path:
    """The file the app's engine uses (Flask-SQLAlchemy resolves a relative path against
    the instance folder, not the working directory)."""
    name = db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        raise ServiceError(_("An in-memory database has nothing to back up or restore."))
    return Path(name).resolve()


def _sqlite_backup(target: Path) -> None:
    source = sqlite3.connect(f"file:{_sqlite_path()}?mode=ro", uri=True, timeout=30)  # a wrong path fails
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        copy.close()
        source.close()


def _sqlite_restore(source: Path) -> None:
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    live = sqlite3.connect(f"file:{_sqlite_path()}?mode=rw", uri=True, timeout=30)
    try:
        backup_file.backup(live)  # written into the live file as one transaction
    finally:
        live.close()
        backup_file.close()


def _is_sqlite_file(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def _sqlite_schema_version(path: Path) -> str:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        checked = connection.execute("PRAGMA integrity_check").fetchall()
        if checked != [("ok",)]:
            raise ServiceError(_("The backup %(path)s is damaged (SQLite's integrity check failed).", path=path))
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as error:
        raise ServiceError(_("%(path)s is not a backup of Lifelong's database.", path=path)) from error
    finally:
        connection.close()
    if row is None:
        raise ServiceError(_("%(path)s is not a backup of Lifelong's database.", path=path))
    return row[0]


# PostgreSQL -----------------------------------------------------------------------------
def _postgres_restore(source: Path) -> None:
    """The schema emptied and the backup's replayed, in one transaction (psql -1): a backup
    from an older release lacks tables the newer schema has, which pg_restore --clean
    would leave behind (and fail on their foreign keys). The script is written out first,
    so that a damaged archive stops the restore before anything is changed."""
    with tempfile.TemporaryDirectory() as work:
        script, prelude = Path(work) / "restore.sql", Path(work) / "empty.sql"
        prelude.write_text("DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n", encoding="utf-8")
        try:
            subprocess.run([_tool("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}", str(source)],
                           capture_output=True, check=True, timeout=6 * 3600)
        except subprocess.CalledProcessError as error:
            raise ServiceError(_("%(path)s is not a backup of Lifelong's database.", path=source)) from error
        _run([_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
              f"--file={prelude}", f"--file={script}"])


def _postgres_schema_version(path: Path) -> str:
    """pg_restore reads the archive's table of contents (refusing a damaged or foreign
    file) and writes the alembic_version rows out as SQL, without touching any database."""
    try:
        script = subprocess.run([_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-",
                                 str(path)], capture_output=True, text=True, check=True, timeout=300).stdout
    except subprocess.CalledProcessError as error:
        raise ServiceError(_("%(path)s is not a backup of Lifelong's database.", path=path)) from error
    lines = script.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and index + 1 < len(lines):
            if lines[index + 1] != "\\.":
                return lines[index + 1].strip()
    raise ServiceError(_("%(path)s is not a backup of Lifelong's database.", path=path))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ServiceError(_("%(tool)s is needed for PostgreSQL backups: install the PostgreSQL client "
                             "(Debian: apt-get install postgresql-client).", tool=name))
    return found


def _run(command: list[str], database_flag: str = "--dbname") -> None:
    """Runs a PostgreSQL tool against the app's database; the password goes in the
    environment, not the command line, where every user of the machine could read it."""
    url = db.engine.url
    environment = {**os.environ, "PGPASSWORD": url.password or os.environ.get("PGPASSWORD", "")}
    libpq_url = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    with tempfile.TemporaryFile(mode="w+") as errors:
        finished = subprocess.run([*command, f"{database_flag}={libpq_url}"], env=environment, stderr=errors,
                                  stdout=subprocess.DEVNULL, timeout=6 * 3600)
        if finished.returncode != 0:
            errors.seek(0)
            raise ServiceError(_("%(tool)s failed: %(reason)s", tool=Path(command[0]).name,
                                 reason=errors.read().strip()[-500:]))


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(current_app.extensions["migrate"].directory)


def _known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def _head_revision() -> str:
    return _scripts().get_current_head()
