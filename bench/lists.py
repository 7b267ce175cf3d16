"""The officials' lists and `wuye status` at scale: /area, /overdue and /supervision through the
conversation core (Core.handle, as a chat's command or page button reaches it), and the count
`wuye status` makes, over N tickets (default 1,000,000, a tenth of them open) and as many notifications
(all but 100 sent), on PostgreSQL.

    .venv/bin/python bench/lists.py                      # 1,000,000 tickets, 100,000 open
    .venv/bin/python bench/lists.py --tickets 100000     # a quicker run

The district: one bureau, 10 streets, 100 communities, 500 estates. Officials at the bureau (the
whole district), at one street (a tenth) and at one community (a hundredth). Open tickets spread over
every open status and every estate, half of them past their deadline, 2 % listed for supervision,
the transferred ones with a department. Rows are written by INSERT … SELECT generate_series (seconds,
not minutes), then VACUUM ANALYZE, as autovacuum would leave a settled table. Each list is asked
`--repeat` times; the table shows the median and the slowest (target: each under 200 ms). A schema
of its own, dropped afterwards. `--old` also times what /area did before (every open ticket loaded).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.harness import table  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.i18n import load_translations  # noqa: E402
from bot.setup_file import read_setup  # noqa: E402
from bot.status import status_lines  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from handlers.clock import FixedClock  # noqa: E402
from handlers.conversations.buttons import encode  # noqa: E402
from handlers.conversations.core import Core  # noqa: E402
from handlers.conversations.io import Incoming, Kind  # noqa: E402
from handlers.rules.lifecycle import OPEN_STATUSES  # noqa: E402
from handlers.services.setup import apply_setup  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.tables import EstateRow, OfficeRow, PersonRow  # noqa: E402

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wednesday 11:00 in Shanghai
STREETS, COMMUNITIES, ESTATES = 10, 10, 5  # per bureau, per street, per community
BUREAU, STREET, COMMUNITY, OWNER = 900001, 900002, 900003, 900009
OPEN = [
    "new",
    "assigned",
    "acknowledged",
    "in_progress",
    "waiting_owner",
    "reopened",
    "rejected",
    "transferred",
]
assert set(OPEN) == {s.value for s in OPEN_STATUSES}


def letters(n: int) -> str:
    """A ticket-number prefix of capital letters for estate n (EAAA, EAAB, ...)."""
    return "E" + "".join(chr(65 + (n // 26**k) % 26) for k in (2, 1, 0))


def setup_yaml() -> str:
    """A district of 500 estates, one official per level, one owner."""
    lines = ["offices:", "  - {key: bureau, name: 区住建局, kind: bureau}"]
    lines.append(
        "  - {key: dept, name: 城管局, kind: department, department: city_management, parent: bureau}"
    )
    estates = []
    for s in range(STREETS):
        lines.append(f"  - {{key: s{s}, name: 街道{s}, kind: street, parent: bureau}}")
        for c in range(COMMUNITIES):
            lines.append(f"  - {{key: c{s}-{c}, name: 社区{s}-{c}, kind: community, parent: s{s}}}")
            for e in range(ESTATES):
                n = (s * COMMUNITIES + c) * ESTATES + e
                estates.append(
                    f"  - {{key: e{n}, name: 小区{n}, prefix: {letters(n)}, community: c{s}-{c}, "
                    f"company: pm{n % 2}, invite_code: CODE{n:05d}X}}"
                )
    lines += [
        "companies:",
        "  - {key: pm0, name: 甲物业}",
        "  - {key: pm1, name: 乙物业}",
        "estates:",
        *estates,
    ]
    lines += [
        "people:",
        f"  - {{key: bureau-official, name: 区专班, telegram_id: {BUREAU}, language: en, "
        "roles: [{role: official, office: bureau}]}",
        f"  - {{key: street-official, name: 街道, telegram_id: {STREET}, language: en, "
        "roles: [{role: official, office: s0}]}",
        f"  - {{key: community-official, name: 社区, telegram_id: {COMMUNITY}, language: en, "
        "roles: [{role: official, office: c0-0}]}",
        f"  - {{key: owner, name: 业主, telegram_id: {OWNER}, "
        "roles: [{role: owner, estate: e0, unit: 1-101}]}",
    ]
    return "\n".join(lines) + "\n"


def seed(app: Any, tickets: int, now: datetime = NOW) -> float:
    """N tickets (a tenth open, half of those past their deadline at `now`) and as many notifications."""
    started = time.perf_counter()
    with app.engine.connect() as c:
        estates = c.execute(select(EstateRow.id).order_by(EstateRow.id)).scalars().all()
        dept = c.execute(select(OfficeRow.id).where(OfficeRow.key == "dept")).scalar_one()
        owner = c.execute(select(PersonRow.id).where(PersonRow.telegram_id == OWNER)).scalar_one()
    open_list = "ARRAY[" + ", ".join(f"'{s}'" for s in OPEN) + "]"
    params = {"now": now, "n": tickets, "dept": dept, "owner": owner}
    with app.engine.begin() as c:
        c.execute(
            text(
                f"""
                INSERT INTO ticket (number, estate_id, category, urgency, description, status, policy,
                    created_at, reporter_id, privacy, due_at, supervised, department_office_id,
                    deadline_provisional, cycle, reopen_count, rung, reminders_sent, version)
                SELECT 'B-' || lpad(i::text, 8, '0'),
                    (ARRAY[{", ".join(map(str, estates))}])[1 + (i / 10 + i) % {len(estates)}],
                    'lift', 'ordinary', '3号楼电梯停运', st, '{{}}'::json,
                    :now - make_interval(mins => (i % 1000000)), :owner, 'government',
                    CASE WHEN i % 10 = 0
                        THEN :now + make_interval(mins => ((i / 10) * 7919 % 20000) - 10000)
                        ELSE :now - make_interval(days => 10) END,
                    i % 10 = 0 AND (i / 10) * 37 % 101 < 2,
                    CASE WHEN st = 'transferred' THEN :dept END,
                    false, 1, 0, 0, 0, 1
                FROM (
                    SELECT i, CASE WHEN i % 10 = 0 THEN ({open_list})[1 + (i / 10) % {len(OPEN)}]
                        ELSE (ARRAY['closed', 'closed_unconfirmed', 'withdrawn'])[1 + i % 3] END AS st
                    FROM generate_series(1, :n) AS i
                ) AS g
                """
            ),
            params,
        )
        c.execute(
            text(
                """
                INSERT INTO notification (key, person_id, kind, params, created_at, attempts, parts_sent,
                    sent_at, outcome)
                SELECT 'bench:' || i, :owner, 'ticket.assigned', '{}'::json, :now, 1, 1,
                    CASE WHEN i > 100 THEN :now END, CASE WHEN i > 100 THEN 'sent' END
                FROM generate_series(1, :n) AS i
                """
            ),
            params,
        )
    with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE ticket"))
        c.execute(text("VACUUM ANALYZE notification"))
    return time.perf_counter() - started


def timed(fn: Any, repeat: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times), max(times), result


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--old", action="store_true", help="also time the old /area (every open ticket)")
    args = parser.parse_args(argv)
    schema = f"wuye_bench_lists_{uuid.uuid4().hex[:10]}"
    admin = make_engine(args.database_url)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(args.database_url).update_query_dict({"options": f"-csearch_path={schema}"})
        app = build_app(
            Settings(database_url=url.render_as_string(hide_password=False)), clock=FixedClock(NOW)
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "district.yaml"
            path.write_text(setup_yaml(), encoding="utf-8")
            apply_setup(app.ctx, read_setup(path))
        took = seed(app, args.tickets)
        print(f"{args.tickets:,} tickets and notifications written in {took:.1f} s", file=sys.stderr)
        core = Core(app.ctx, load_translations())
        updates = iter(range(1, 10**9))

        def ask(who: int, command: str | None = None, data: str | None = None) -> Any:
            kind = Kind.COMMAND if command else Kind.BUTTON
            inc = Incoming(
                chat_id=who, user_id=who, user_name="bench", kind=kind, command=command, data=data,
                callback_id="cb" if data else None, message_id=1 if data else None, update_id=next(updates),
            )  # fmt: skip
            return core.handle(inc)

        rows = []
        for name, who in (("bureau", BUREAU), ("street", STREET), ("community", COMMUNITY)):
            for command, which in (("area", "area"), ("overdue", "overdue"), ("supervision", "supervised")):
                median, worst, out = timed(lambda w=who, c=command: ask(w, c), args.repeat)
                first = out[0].text.splitlines()[0] if out else ""
                rows.append([f"/{command}", name, f"{median:.1f}", f"{worst:.1f}", first[:60]])
                page = encode("ol", which, 2)
                median, worst, out = timed(lambda w=who, d=page: ask(w, data=d), args.repeat)
                rows.append([f"  page 2 ({which})", name, f"{median:.1f}", f"{worst:.1f}", ""])
            deep = encode("ol", "area", 10**6)  # beyond the end: the last page, the deepest OFFSET
            median, worst, out = timed(lambda w=who, d=deep: ask(w, data=d), args.repeat)
            last = [o for o in out if hasattr(o, "text")]
            rows.append(
                [
                    "  last page (area)",
                    name,
                    f"{median:.1f}",
                    f"{worst:.1f}",
                    last[0].text[-30:] if last else "",
                ]
            )

        def waiting() -> int:
            with app.ctx.uow() as uow:
                return uow.notifications.waiting()

        median, worst, n = timed(waiting, args.repeat)
        rows.append(["status: waiting count", "-", f"{median:.1f}", f"{worst:.1f}", f"{n} waiting"])
        median, worst, lines = timed(lambda: status_lines(app.ctx), args.repeat)
        rows.append(["wuye status (all lines)", "-", f"{median:.1f}", f"{worst:.1f}", lines[0]])
        if args.old:
            from handlers.services.revenue_oversight import area_estates

            def old_area() -> int:
                with app.ctx.uow() as uow:
                    offices = {o.id for o in uow.offices.all() if o.key == "bureau" and o.id}
                    ids = [e.id for e in area_estates(uow, offices) if e.id]
                    return len(uow.tickets.of_estates(ids, OPEN_STATUSES))

            median, worst, n = timed(old_area, 1)
            rows.append(
                ["old /area: load all open", "bureau", f"{median:.1f}", f"{worst:.1f}", f"{n} tickets"]
            )
        app.engine.dispose()
        print(f"PostgreSQL, {args.tickets:,} tickets ({args.tickets // 10:,} open), {args.repeat} runs each")
        print(table(["what", "official", "median ms", "max ms", "first line"], rows))
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
