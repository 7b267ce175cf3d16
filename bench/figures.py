"""The supervision figures counted in the database, at 100,000 and at 1,000,000 tickets on PostgreSQL:
one street's month and the whole district's month (figures_for, as /stats, the ledger and the digests
count them), and /stats through the conversation core (Core.handle, as a chat's command reaches it)
for the bureau's official (the district, by street), a street's (by community) and a community's.

    .venv/bin/python bench/figures.py                       # 100,000 then 1,000,000 tickets
    .venv/bin/python bench/figures.py --sizes 100000        # one size
    .venv/bin/python bench/figures.py --reseed              # write the tickets again

The district is lists.py's: one bureau, 10 streets, 100 communities, 500 estates. Tickets come at the
same pace whatever the size, 10,000 a month (1,000 a street), so a bigger table is a longer history:
100,000 tickets are ten months of it, 1,000,000 a hundred (since 2018). The measured month, October
2026 (the last complete one on 25 November 2026, /stats's default), holds the same tickets in both, and
so do its street and its district: the ratio of the two times is what the 900,000 tickets outside the
scope cost (target: at most 2). A tenth of the tickets are open, in every open status, half of those
overdue (100,000 open at 1,000,000); the rest closed (confirmed, unconfirmed or withdrawn), most of
them acknowledged and resolved, some late, some rated, reopened, transferred or listed for supervision.
Each ticket's figure moments (ticket_figure) are written by INSERT … SELECT from its row, as its
events would have written them, then VACUUM ANALYZE.

Each size is kept in a schema of its own (figures_100000, figures_1000000) of the database given
(default wuye_bench_figdb: `createdb -h 127.0.0.1 -U postgres wuye_bench_figdb`), so a second run
measures at once (a schema at an older migration is migrated to the head as `wuye` would migrate it,
not seeded again: 1,000,000 tickets take minutes to write); `--reseed` writes it again. Each measure is the
median of `--repeat` runs, with the slowest beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.harness import table  # noqa: E402
from bench.lists import BUREAU, COMMUNITY, OPEN, STREET, setup_yaml  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.delivery.outbox import Outbox  # noqa: E402
from bot.delivery.pace import console_pace  # noqa: E402
from bot.documents.rates_chart import kept_rates_chart, render_rates_chart  # noqa: E402
from bot.documents.setup_file import read_setup  # noqa: E402
from bot.i18n.translator import load_translations  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from handlers.clock import FixedClock  # noqa: E402
from handlers.conversations import notices  # noqa: E402
from handlers.conversations.core import Core  # noqa: E402
from handlers.conversations.io import Edit, Incoming, Kind, Send  # noqa: E402
from handlers.rules.periods import Period  # noqa: E402
from handlers.services.figures import Scope, ScopeKind, figures_for  # noqa: E402
from handlers.services.setup import apply_setup  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.migrate import current_revision, head_revision  # noqa: E402
from storage.tables import EstateRow, OfficeRow, PersonRow  # noqa: E402

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wednesday 11:00 in Shanghai
OCTOBER, Q3 = Period.month(2026, 10), Period.quarter(2026, 3)
PER_MONTH = 10_000  # tickets reported in the district a month, whatever the size of the table
SECONDS_APART = 30.4375 * 86400 / PER_MONTH  # between two reports
DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/wuye_bench_figdb"

# One ticket per i, the newest first: its estate, status, limits and what happened to it, from i alone.
TICKETS = """
INSERT INTO ticket (number, estate_id, category, urgency, description, status, policy, created_at,
    reporter_id, privacy, ack_due_at, acknowledged_at, due_at, resolved_at, closed_at, paused_at, rating,
    supervised, department_office_id, deadline_provisional, cycle, reopen_count, rung, reminders_sent,
    version)
SELECT 'F-' || lpad(i::text, 8, '0'), estate, 'lift', 'ordinary', '3号楼电梯停运', st, '{{}}'::json, made,
    :owner, 'government', made + interval '1 hour',
    CASE WHEN st NOT IN ('withdrawn', 'new', 'assigned', 'reopened')
        THEN made + make_interval(mins => (i * 7) % 120) END,
    due,
    CASE WHEN st IN ('closed', 'closed_unconfirmed')
        THEN made + make_interval(hours => 1 + (i * 13) % 36) END,
    CASE st WHEN 'closed' THEN made + make_interval(hours => 3 + (i * 13) % 36)
        WHEN 'closed_unconfirmed' THEN made + make_interval(hours => 73 + (i * 13) % 36)
        WHEN 'withdrawn' THEN made + interval '30 minutes' END,
    CASE WHEN st = 'waiting_owner' THEN :now - interval '1 day' END,
    CASE WHEN st = 'closed' AND i % 2 = 0 OR st = 'closed_unconfirmed' AND i % 4 = 1 THEN 1 + i % 5 END,
    i % 50 = 0, CASE WHEN st = 'transferred' THEN :dept END, false, 1, (i % 33 = 0)::int, 0, 0, 1
FROM (
    SELECT i, estate, st, made,
        CASE WHEN i % 10 = 0 THEN :now + make_interval(mins => ((i / 10) * 7919 % 20000) - 10000)
            ELSE made + interval '24 hours' END AS due
    FROM (
        SELECT i, (ARRAY[{estates}])[1 + (i / 10 + i) % {count}] AS estate,
            CASE WHEN i % 10 = 0 THEN ({open})[1 + (i / 10) % {statuses}]
                ELSE (ARRAY['closed', 'closed_unconfirmed', 'withdrawn'])[1 + i % 3] END AS st,
            :now - make_interval(secs => i * {apart}) AS made
        FROM generate_series(1, :n) AS i
    ) AS g
) AS h
"""

# The moments each ticket's events would have kept (storage/repositories/figures.py), from its row.
MOMENTS = """
INSERT INTO ticket_figure (ticket_id, estate_id, kind, at, met, stopped, previous)
SELECT id, estate_id, 'received', created_at, true, NULL::timestamptz, NULL::timestamptz FROM ticket
UNION ALL
SELECT id, estate_id, 'response',
    CASE WHEN acknowledged_at <= ack_due_at THEN acknowledged_at ELSE ack_due_at END,
    CASE WHEN acknowledged_at IS NOT NULL THEN acknowledged_at <= ack_due_at END, NULL, NULL
FROM ticket WHERE status <> 'withdrawn'
UNION ALL
SELECT id, estate_id, 'resolution',
    CASE WHEN resolved_at <= due_at THEN resolved_at ELSE due_at END,
    CASE WHEN resolved_at IS NOT NULL THEN resolved_at <= due_at END,
    CASE WHEN resolved_at IS NULL
        THEN COALESCE(paused_at, CASE WHEN status = 'withdrawn' THEN closed_at END) END,
    NULL
FROM ticket
UNION ALL
SELECT id, estate_id, CASE status WHEN 'closed' THEN 'confirmed' WHEN 'closed_unconfirmed' THEN 'unconfirmed'
    ELSE 'withdrawn' END, closed_at, true, NULL, NULL
FROM ticket WHERE closed_at IS NOT NULL
UNION ALL
SELECT id, estate_id, 'rated', closed_at + interval '1 hour', rating >= 4, NULL, NULL
FROM ticket WHERE rating IS NOT NULL
UNION ALL
SELECT id, estate_id, 'reopened', created_at + interval '2 hours', true, NULL, NULL
FROM ticket WHERE reopen_count > 0
UNION ALL
SELECT id, estate_id, 'supervised', created_at + interval '3 days', true, NULL, NULL
FROM ticket WHERE supervised
UNION ALL
SELECT id, estate_id, 'transferred', created_at + interval '2 hours', true, NULL, NULL
FROM ticket WHERE status = 'transferred' OR id % 47 = 0
"""


def seed(app: Any, tickets: int) -> float:
    started = time.perf_counter()
    with app.engine.connect() as c:
        estates = c.execute(select(EstateRow.id).order_by(EstateRow.id)).scalars().all()
        dept = c.execute(select(OfficeRow.id).where(OfficeRow.key == "dept")).scalar_one()
        owner = c.execute(select(PersonRow.id).where(PersonRow.telegram_id == 900009)).scalar_one()
    sql = TICKETS.format(
        estates=", ".join(map(str, estates)),
        count=len(estates),
        open="ARRAY[" + ", ".join(f"'{s}'" for s in OPEN) + "]",
        statuses=len(OPEN),
        apart=SECONDS_APART,
    )
    with app.engine.begin() as c:
        c.execute(text(sql), {"now": NOW, "n": tickets, "dept": dept, "owner": owner})
        c.execute(text(MOMENTS))
    with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE ticket"))
        c.execute(text("VACUUM ANALYZE ticket_figure"))
    return time.perf_counter() - started


def prepared(url: str, tickets: int, reseed: bool) -> tuple[Any, str]:
    """The app on the size's own schema, seeded (again, if asked or if it is at an older migration)."""
    schema = f"figures_{tickets}"
    admin = make_engine(url)
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    scoped_url = scoped.render_as_string(hide_password=False)
    with admin.begin() as c:
        exists = c.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).first()
    fresh = reseed or not exists
    if exists and not fresh:
        probe = make_engine(scoped_url)
        with probe.connect() as c:
            seeded = c.execute(text("SELECT count(*) FROM ticket")).scalar_one() == tickets
        fresh = not seeded
        if seeded and current_revision(probe) != head_revision():
            print(f"{schema}: kept at {current_revision(probe)}, migrated to the head", file=sys.stderr)
        probe.dispose()
    if fresh:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    app = build_app(Settings(database_url=scoped_url), clock=FixedClock(NOW))
    if fresh:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "district.yaml"
            path.write_text(setup_yaml(), encoding="utf-8")
            apply_setup(app.ctx, read_setup(path))
        took = seed(app, tickets)
        print(f"{tickets:,} tickets and their figure moments written in {took:.0f} s", file=sys.stderr)
    return app, schema


def timed(fn: Any, repeat: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(repeat):
        gc.collect()  # each measure on a collected heap, whatever ran before it
        started = time.perf_counter()
        result = fn()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times), max(times), result


def measure(app: Any, repeat: int) -> dict[str, tuple[float, float, str]]:
    with app.ctx.uow() as uow:
        bureau, street = uow.offices.by_key("bureau"), uow.offices.by_key("s0")
        assert bureau is not None and street is not None and bureau.id and street.id
    scopes = {
        "figures: a street's month": (Scope(ScopeKind.STREET, street.id), OCTOBER),
        "figures: the district's month": (Scope(ScopeKind.DISTRICT, bureau.id), OCTOBER),
        "figures: the district's quarter": (Scope(ScopeKind.DISTRICT, bureau.id), Q3),
    }
    found: dict[str, tuple[float, float, str]] = {}
    for what, (scope, period) in scopes.items():
        median, worst, f = timed(lambda s=scope, p=period: figures_for(app.ctx, s, p), repeat)
        note = f"{f.received} received, {f.resolved_on_time.hits}/{f.resolved_on_time.cases} on time"
        found[what] = (median, worst, note)
    core = Core(app.ctx, load_translations())
    updates = iter(range(time.time_ns() // 1000, 2**62))  # never an update the kept database has seen

    def stats(who: int) -> Any:
        inc = Incoming(
            chat_id=who, user_id=who, user_name="bench", kind=Kind.COMMAND, command="stats",
            update_id=next(updates),
        )  # fmt: skip
        return core.handle(inc)

    translations = load_translations()
    handed: list[float] = []

    async def deliver(part: Send | Edit) -> int | None:
        if isinstance(part, Send) and part.image is not None:
            handed.append(time.perf_counter())
        return 1

    outbox = Outbox(app.ctx, translations.for_lang, deliver, limiter=console_pace())
    asyncio.run(outbox.drain())  # whatever an earlier run left owed

    def answer_then_chart(who: int) -> tuple[float, float, Any]:
        """The answer as the chat gets it, and the moment the outbox hands the chart over (drawn for the
        first time: as the first to ask for it), both from the update's arrival."""
        kept_rates_chart.cache_clear()
        handed.clear()
        gc.collect()  # the last drawing's garbage: in wuye it is the bot process's, not the core's
        started = time.perf_counter()
        out = stats(who)
        answered = time.perf_counter()
        asyncio.run(outbox.drain())  # woken at once after the turn, as the runtime wakes it
        chart = 1000 * (handed[0] - started) if handed else float("nan")
        return 1000 * (answered - started), chart, out

    def owed(who: int) -> list[Send | Edit]:
        """The parts of the chart last owed to `who`, as the outbox draws them up."""
        with app.ctx.uow() as uow:
            n = uow.notifications.get(last_chart(who))
            assert n is not None
            return list(notices.render(uow, translations.for_lang, n, app.ctx))

    def last_chart(who: int) -> int:
        with app.engine.connect() as c:
            return int(
                c.execute(
                    text(
                        "SELECT n.id FROM notification n JOIN person p ON p.id = n.person_id "
                        "WHERE n.kind = 'stats.chart' AND p.telegram_id = :w ORDER BY n.id DESC LIMIT 1"
                    ),
                    {"w": who},
                ).scalar_one()
            )

    documents = app.ctx.documents
    for name, who in (("bureau", BUREAU), ("street", STREET), ("community", COMMUNITY)):
        runs = [answer_then_chart(who) for _ in range(repeat)]
        answers, charts, out = [r[0] for r in runs], [r[1] for r in runs], runs[-1][2]
        first = next((o.text for o in out if isinstance(o, Send) and o.text.startswith("📊")), "")
        found[f"/stats ({name}): the answer"] = (
            statistics.median(answers),
            max(answers),
            first.splitlines()[0][:50] if first else "",
        )
        found[f"  the chart handed over ({name})"] = (statistics.median(charts), max(charts), "")
        spec = next(p.chart for p in owed(who) if isinstance(p, Send) and p.chart is not None)
        median, worst, _ = timed(lambda sp=spec: render_rates_chart(sp), repeat)
        found[f"  drawing it alone ({name})"] = (median, worst, "what the answer waited for before")
        app.ctx.documents = None  # the same without owing the chart
        median, worst, _ = timed(lambda w=who: stats(w), repeat)
        found[f"  without the chart ({name})"] = (median, worst, "")
        app.ctx.documents = documents
    return found


def explain(app: Any) -> str:
    """The plan of the district's month, as PostgreSQL runs it."""
    from storage.repositories.figures import counted_statement

    with app.ctx.uow() as uow:
        estates = [e.id for e in uow.estates.all() if e.id is not None]
        start, end = OCTOBER.span(app.ctx.tz)
        stmt = counted_statement(estates, start, end, NOW, array=True)
        compiled = stmt.compile(dialect=app.engine.dialect, compile_kwargs={"literal_binds": True})
    with app.engine.connect() as c:
        rows = c.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).scalars().all()
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--sizes", default="100000,1000000", help="tickets, comma-separated")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=DATABASE)
    parser.add_argument("--reseed", action="store_true", help="write the tickets again")
    parser.add_argument("--explain", action="store_true", help="print the district month's query plan")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, tuple[float, float, str]]] = {}
    for n in sizes:
        app, schema = prepared(args.database_url, n, args.reseed)
        results[n] = measure(app, args.repeat)
        if args.explain:
            print(f"-- {schema}: the district's month\n{explain(app)}\n")
        app.engine.dispose()
    print(f"PostgreSQL, October 2026 of a district of 500 estates, median of {args.repeat} runs (ms)")
    headers = ["what"]
    for n in sizes:
        headers += [f"{n:,}", "max"]
    if len(sizes) > 1:
        headers.append(f"{sizes[-1]:,} / {sizes[0]:,}")
    headers.append("found")
    rows = []
    for what in results[sizes[0]]:
        row = [what]
        for n in sizes:
            median, worst, _ = results[n][what]
            row += [f"{median:.1f}", f"{worst:.1f}"]
        if len(sizes) > 1:
            row.append(f"{results[sizes[-1]][what][0] / results[sizes[0]][what][0]:.2f}")
        row.append(results[sizes[-1]][what][2])
        rows.append(row)
    print(table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
