"""`wuye people ...`: who the bot knows, and taking someone's roles away."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import DatabaseOpt, existing_app_or_exit, fail, settings_or_exit

if TYPE_CHECKING:
    from handlers.services.context import Context

people_app = typer.Typer(help="People and their roles: list them, deactivate someone.", no_args_is_help=True)


def _ctx(database_url: str | None) -> Context:
    return existing_app_or_exit(settings_or_exit(database_url=database_url)).ctx


@people_app.command("list")
def list_people(database_url: DatabaseOpt = None) -> None:
    """Everyone the setup file names or who holds a role: key, name, Telegram id and roles."""
    from handlers.services.membership import list_people as summaries

    for person in summaries(_ctx(database_url)):
        roles = ", ".join(
            f"{role}@{where}" + ("" if active else " (inactive)") for role, where, active in person.roles
        )
        state = "active" if person.active else "inactive"
        telegram = str(person.telegram_id) if person.telegram_id else "not on Telegram yet"
        typer.echo(f"{person.key or '-'}\t{person.name}\t{telegram}\t{state}\t{roles or '-'}")


@people_app.command("deactivate")
def deactivate(
    key: Annotated[str, typer.Argument(help="The person's key in the setup file.")],
    database_url: DatabaseOpt = None,
) -> None:
    """Stop every role of a person at once: buttons, lists, reminders, rungs, the groups they bound.
    Their open tickets go to the project managers; codes printed for them stop working."""
    from handlers.services.errors import NotFound
    from handlers.services.membership import deactivate as stop

    try:
        done = stop(_ctx(database_url), key)
    except NotFound:
        raise fail(f"KEY: nobody with key {key!r} (see `wuye people list`)") from None
    typer.echo(
        f"deactivated {key} ({done.name}): {done.roles} role(s) stopped, {done.invites} unused code(s) "
        f"withdrawn, {done.tickets} open ticket(s) handed to the project managers"
    )
    typer.echo(
        "  keep them out of the setup file (or mark them `active: false`), or the next load restores them"
    )
