"""`flask --app wsgi ...` commands: thin wrappers over the domain layer."""
from datetime import date

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from healthpal import config as settings
from healthpal import demo
from healthpal.domain import audit, channels, idempotency, rules, users
from healthpal.domain.exceptions import DomainError, Invalid

VIA = channels.CLI


def _fail(error: DomainError) -> None:
    """Print what was wrong, field by field, and exit non-zero."""
    if isinstance(error, Invalid):
        lines = [f"{field}: {' '.join(map(str, messages))}" for field, messages in error.errors.items()]
    else:
        lines = [str(error) or "Not found."]
    raise click.ClickException("\n".join(lines))


def _user(username: str):
    user = users.by_username(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    return user


@click.command("create-user")
@click.argument("username")
@click.option("--password", required=True, help=rules.HINTS["password"])
@click.option("--email", default="")
@click.option("--first-name", default="")
@click.option("--last-name", default="")
@click.option("--superuser", is_flag=True, help="May use the admin panel.")
def create_user(username, password, email, first_name, last_name, superuser):
    """Create a clinician (or, with --superuser, an admin)."""
    try:
        user = users.create(actor=None, via=VIA, data={
            "username": username, "password": password, "email": email,
            "first_name": first_name, "last_name": last_name, "is_superuser": superuser,
        })
    except DomainError as error:
        _fail(error)
    click.echo(f"Created {'superuser' if user.is_superuser else 'clinician'} {user.username} (id {user.id}).")


@click.command("deactivate-user")
@click.argument("username")
def deactivate_user(username):
    """Stop a user signing in and revoke every token and session they hold."""
    user = _user(username)
    users.deactivate(actor=None, via=VIA, user_id=user.id)
    click.echo(f"Deactivated {username}; their API tokens and portal sessions no longer work.")


@click.command("delete-user")
@click.argument("username")
def delete_user(username):
    """Delete a user; their patients stay, unassigned, for an admin to reassign."""
    user = _user(username)
    count = len(user.patients)
    users.delete(actor=None, via=VIA, user_id=user.id)
    click.echo(f"Deleted {username}; {count} patient(s) are now unassigned.")


@click.command("seed-demo")
def seed_demo():
    """Add demo logins and patients (safe to run again)."""
    created = demo.seed()
    click.echo(f"Demo data ready (new: {created['users']} users, {created['patients']} patients, "
               f"{created['assessments']} assessments).")
    click.echo(f"  Clinician: {demo.CLINICIAN['username']} / {demo.CLINICIAN['password']}")
    click.echo(f"  Admin:     {demo.ADMIN['username']} / {demo.ADMIN['password']}")


@click.command("purge-audit")
@click.option("--before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Delete the audit events recorded before this UTC date (YYYY-MM-DD).")
@click.confirmation_option(prompt="Audit events are kept forever unless purged. Purge?")
def purge_audit(before):
    """Delete the audit events recorded before a UTC date.

    The audit trail is kept forever unless purged with this command. The purge is itself
    recorded (who ran it, the date given, how many events went), and records of purges are
    never purged.
    """
    removed = audit.purge(actor=None, via=VIA, before=date(before.year, before.month, before.day))
    click.echo(f"Purged {removed} audit event(s) recorded before {before:%Y-%m-%d}.")


@click.command("check-config")
@with_appcontext
def check_config():
    """List every unsafe setting of this environment.

    With HEALTHPAL_ENV=production the app itself refuses to load while any is found, so this command
    then stops with that same list and a non-zero exit status (as gunicorn would).
    """
    problems = settings.unsafe_settings(current_app.config)
    environment = current_app.config["ENV_NAME"]
    if not problems:
        click.echo(f"No unsafe settings found (HEALTHPAL_ENV={environment}).")
        return
    click.echo(f"Unsafe settings (HEALTHPAL_ENV={environment}):")
    for problem in problems:
        click.echo(f"- {problem}")


@click.command("purge-idempotency-keys")
def purge_idempotency_keys():
    """Forget the API's idempotency keys older than 24 hours (their creates can no longer be replayed)."""
    removed = idempotency.purge_expired()
    click.echo(f"Purged {removed} expired idempotency key(s).")


def init_app(app: Flask) -> None:
    for command in (create_user, deactivate_user, delete_user, seed_demo, purge_audit, purge_idempotency_keys,
                    check_config):
        app.cli.add_command(command)
