"""`wuye load FILE`: apply a setup file, and say exactly what it changed (compared in the database)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.common import DatabaseOpt, app_or_exit, fail, invite_link, settings_or_exit

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.config import Settings

# What a setup file sets, table by table: how a row is known across a load, the columns the file decides
# (a person's Telegram name or a role's creation time are not), and how to say one and several.
_SET_UP: dict[str, tuple[tuple[str, ...], tuple[str, ...], str, str]] = {
    "office": (("key",), ("name", "kind", "parent_id", "department"), "office", "offices"),
    "company": (("key",), ("name", "phone"), "company", "companies"),
    "estate": (
        ("key",),
        ("name", "prefix", "community_id", "company_id", "invite_code", "address", "on_call"),
        "estate",
        "estates",
    ),
    "person": (("id",), ("key", "display_name", "telegram_id", "language"), "person", "people"),
    "role": (
        ("id",),
        ("person_id", "kind", "estate_id", "company_id", "office_id", "unit", "duty", "active", "from_setup"),
        "role",
        "roles",
    ),
    "escalation_policy": (("key",), ("data",), "policy", "policies"),
    "calendar_override": (("day",), ("working", "note"), "calendar day", "calendar days"),
    "setting": (("key",), ("data",), "setting", "settings"),
}
Snapshot = dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]


def load(
    path: Annotated[Path, typer.Argument(help="The setup YAML file (see README: setup-file format).")],
    database_url: DatabaseOpt = None,
) -> None:
    """Create or update offices, companies, estates, people and policies from a setup file."""
    from bot.documents.setup_file import SetupFileError, read_setup
    from bot.wiring import build_app
    from handlers.services.setup import apply_setup
    from handlers.services.setup_document import SetupError, validate

    settings = settings_or_exit(database_url=database_url)
    try:
        doc = read_setup(path)
    except SetupFileError as exc:
        raise fail(str(exc)) from None
    except Exception as exc:  # the reader's own checks missed it: still one line, and nothing written
        text = str(exc).splitlines()[0] if str(exc) else ""
        raise fail(f"{path}: cannot read it ({type(exc).__name__}: {text})") from None
    if not any(doc.values()):
        raise fail(
            f"{path}: nothing to load "
            "(no offices, companies, estates, people, policies, calendar or supervision)"
        )
    try:
        validate(doc)  # what needs no database is checked before one is opened (or created)
    except SetupError as exc:
        raise fail(f"{path}:{exc.line}: {exc.where}: {exc.message} (nothing was written)") from None
    with _removed_if_new_and_failed(settings):
        application = app_or_exit(build_app, settings)
        try:
            before = _snapshot(application.engine)
            try:
                report = apply_setup(application.ctx, doc)
            except SetupError as exc:
                raise fail(f"{path}:{exc.line}: {exc.where}: {exc.message} (nothing was written)") from None
            after = _snapshot(application.engine)
        finally:
            application.engine.dispose()
    typer.echo(f"loaded {path}: {_changes(before, after)}")
    for key, role, code, until in report.invites:
        valid = f", valid until {until.astimezone(settings.zone):%Y-%m-%d}" if until else ""
        typer.echo(f"  invite for {key} ({role}{valid}): {code}  {invite_link(settings, code)}")
    for line in report.deactivated:
        typer.echo(f"  deactivated {line}")
    for estate_key, moved in report.handed_over.items():
        typer.echo(
            f"  {estate_key} changed company: {moved} open ticket(s) handed to its new project managers"
        )
    if report.absent:
        typer.echo(
            "  not in this file but still active: "
            + ", ".join(report.absent)
            + " (mark them `active: false`, or `wuye people deactivate KEY`)"
        )


def _snapshot(engine: Engine) -> Snapshot:
    """What the setup file decides, as it stands in the database."""
    from sqlalchemy import select
    from sqlmodel import SQLModel

    import storage.tables  # noqa: F401 (declares the tables on SQLModel.metadata)

    found: Snapshot = {}
    with engine.connect() as connection:
        for table_name, (ident, columns, _, _) in _SET_UP.items():
            table = SQLModel.metadata.tables[table_name]
            rows = connection.execute(select(*(table.c[c] for c in (*ident, *columns)))).all()
            found[table_name] = {tuple(row[: len(ident)]): tuple(row[len(ident) :]) for row in rows}
    return found


def _changes(before: Snapshot, after: Snapshot) -> str:
    """`created 2 offices, 1 estate; updated 1 person`, or that nothing changed."""
    created, updated = [], []
    for table_name, (_, _, one, several) in _SET_UP.items():
        old, new = before[table_name], after[table_name]
        made = sum(1 for key in new if key not in old)
        changed = sum(1 for key, values in new.items() if key in old and old[key] != values)
        if made:
            created.append(f"{made} {one if made == 1 else several}")
        if changed:
            updated.append(f"{changed} {one if changed == 1 else several}")
    if not created and not updated:
        return "nothing changed (the database already holds everything in it)"
    return f"created {', '.join(created) or 'nothing'}; updated {', '.join(updated) or 'nothing'}"


@contextlib.contextmanager
def _removed_if_new_and_failed(settings: Settings) -> Iterator[None]:
    """A load that fails writes nothing: when it was about to create the SQLite file (and its folder),
    they are removed again, so a mistyped file leaves no empty database behind."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.url)
    database = url.database if url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:" or Path(database).expanduser().exists():
        yield
        return
    path = Path(database).expanduser().resolve()
    new_folders = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    try:
        yield
    except BaseException:
        for leftover in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
        for folder in new_folders:  # deepest first
            with contextlib.suppress(OSError):  # something else was put there meanwhile: leave it
                folder.rmdir()
        raise
