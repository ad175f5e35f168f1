"""Command-line tools: `flask --app wsgi seed demo`, `users create`, `sla sweep`, `backup`, `restore`."""
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _

from crm.models.choices import Role
from crm.services import audit, lifecycle
from crm.services import backup as backup_service
from crm.services import users as user_service
from crm.services.errors import ServiceError

seed_cli = AppGroup("seed", help="Load demo or sample data.")
users_cli = AppGroup("users", help="Manage back-office users.")
sla_cli = AppGroup("sla", help="Service levels of complaints and hotline tickets.")


@sla_cli.command("sweep")
def sla_sweep() -> None:
    """Date complaints and tickets that lack deadlines and pass overdue ones to the service desk (run it from a scheduler)."""
    with audit.acting_as_command("sla sweep"):
        dated, escalated = lifecycle.sweep()
    click.echo(_("Deadlines set: %(dated)d. Passed to the service desk: %(escalated)d.", dated=dated,
                 escalated=escalated))


@seed_cli.command("demo")
@click.option("--customers", "customer_count", default=300, show_default=True, type=click.IntRange(0, 5_000_000),
              help="How many customers to create.")
@click.option("--reset", is_flag=True, help="Delete all data (users included) before seeding.")
def seed_demo(customer_count: int, reset: bool) -> None:
    """Realistic Chinese demo data and the demo users admin, clerk, dealer1 and dealer2."""
    from seeds import demo

    with audit.acting_as_command("seed demo"):
        result = demo.seed(customer_count=customer_count, reset=reset, progress=_progress_bar)
    click.echo(_("Demo data: %(dealers)d dealers, %(products)d products, %(created)d new customers "
                 "(%(total)d in all).", dealers=result.dealers, products=result.products,
                 created=result.customers_created, total=result.customers_total))
    click.echo(_("Demo logins (username / password):"))
    for username, password in result.logins:
        click.echo(f"  {username} / {password}")
    if result.password_generated:
        click.echo(_("Set DEMO_PASSWORD to choose the demo password."))


def _progress_bar(total: int):
    return click.progressbar(length=total, label=_("Seeding customers"), file=sys.stderr)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(Role.codes()), help="What the user may do.")
@click.option("--dealer", "dealer_code", default=None, help="Dealer code, for a dealer user (e.g. GD-FS-001).")
def create_user(username: str, role: str, dealer_code: str | None) -> None:
    """Create a back-office user. The password is asked for, or read from standard input."""
    password = _read_password()
    try:
        with audit.acting_as_command("users create"):
            user = user_service.create_user(username, password, role, dealer_code)
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(_("Created the user %(name)s (%(role)s).", name=user.username, role=Role.label_for(user.role)))


def _read_password() -> str:
    if sys.stdin is not None and not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_command(path: str) -> None:
    """Write a consistent copy of the database to PATH while it is in use (SQLite's online backup; pg_dump)."""
    try:
        made = backup_service.backup(path)
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(_("Backup written to %(path)s (schema version %(version)s, %(size)s).", path=made.path,
                 version=made.schema_version, size=_megabytes(made.size_bytes)))


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: str, yes: bool) -> None:
    """Replace everything in the database with the backup at PATH, after checking the backup."""
    try:
        version = backup_service.schema_version_in(Path(path).expanduser().resolve())
    except (ServiceError, OSError) as error:
        raise click.ClickException(str(getattr(error, "message", error))) from error
    if not yes:
        click.confirm(_("Replace everything in the database with this backup (schema version %(version)s)?",
                        version=version), abort=True)
    try:
        restored = backup_service.restore(path)
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(_("Restored %(path)s (schema version %(version)s); the database is at schema version "
                 "%(current)s.", path=restored.path, version=restored.schema_version,
                 current=backup_service.current_schema_version()))


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(seed_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(sla_cli)
