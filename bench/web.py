"""The web pages under load: an official's overdue page (/area) and an owner's case page (/t/<number>)
over 100,000 tickets on PostgreSQL, each under 50 signed-in sessions at once, against a bare aiohttp page
of about the same size on the same machine in the same run.

    .venv/bin/python bench/web.py                          # 100,000 tickets, 50 sessions, 5 rounds of 10 s
    .venv/bin/python bench/web.py --rounds 1 --seconds 5   # a quick look

wuye runs as `wuye web` runs (`python -m bot.cli.main web`, its own process, its own settings from the
environment, the real clock), the bare page as bench/bare_web.py in another; the sessions are driven
from this process by one aiohttp client, each session a loop that asks its next page as soon as the
last one has come back (50 requests in flight, no pause between them). Every session is signed in as a
person signs in: a one-time code issued as /web and `wuye invite web` issue it
(web_access.sign_in_code_for_key), typed into the sign-in form with the form's CSRF token; the cookie
the app sets is the session's from then on.

The district is bench/lists.py's (10 streets, 100 communities, 500 estates; a tenth of the tickets
open, half of those overdue, 2 % listed for supervision), seeded at the moment of the run so the share
overdue is the intended one, with each ticket's history (opened, assigned, acknowledged, resolved,
confirmed... as its status implies) in ticket_event. The people: 50 officials at the bureau (the whole
district: 10,000 open, about 5,000 overdue at 100,000 tickets), 50 at the streets (5 each: a tenth),
50 at communities (one each: a hundredth), 50 owners of 50 estates, each with 2 open and 2 closed cases
handled by the estate's repairer. Officials page through their overdue list (pages 1, 2, 3 in turn);
owners open their four cases in turn.

Each page is measured twice, on two `wuye web` servers over the same database: one without the page
cache (WUYE_WEB_CACHE_SECONDS=0: every page drawn afresh, as after any change) and one as configured by
default ("kept" in the table: a session asking again a page it asked before, and nothing committed
since, is served the page drawn then; bot/web/page_cache.py). Real use lies between the two: every
commit to a table a page shows empties the cache. `--no-cache` measures the first only.

Each round runs every page for `--seconds` after a short warm-up (each session's first request is not
counted); the table shows the median over the rounds of each round's rate, p50 and p95, and the ratio
of a page's rate to the bare page's in the same round (median of the rounds' ratios). Target: at least
0.3 of the bare page's rate, p95 under 300 ms. The server's CPU per request is the user and system time
over the round of its process and every process under it (`--workers N` is passed to `wuye web`; by default
it runs its own number); PostgreSQL's is that of the backends serving it (its connections carry
application_name wuye-bench-web; one that exits during the round is missed). A schema of its own
(wuye_bench_webbench_<random>), dropped afterwards unless `--keep`; `--schema NAME` measures a kept one
again (its tickets as seeded then, so more of them overdue as time passes). `--profile DIR` samples the
server with py-spy (every thread, its worker processes too) during each page's first round and folds the
stacks into DIR/<page>.txt (py-spy is not in the test extra: pip install it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from yarl import URL  # noqa: E402

from bench.harness import ROOT, percentile, table  # noqa: E402
from bench.lists import COMMUNITIES, ESTATES, OPEN, STREETS, seed, setup_yaml  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.documents.setup_file import read_setup  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from handlers.services.setup import apply_setup  # noqa: E402
from handlers.services.web_access import sign_in_code_for_key  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from tests.support.processes import free_port  # noqa: E402

DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
APP_NAME = "wuye-bench-web"  # the application_name of wuye web's connections, to find their backends
SECRET = "webbench-secret-0123456789-0123456789"
LEVELS = ("bureau", "street", "community")
OWNERS_ESTATES = [10 * k + 1 for k in range(50)]  # estate n of lists.py's district: one owner each
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')

# Each ticket's history as its status implies, written from its row (the times clamped to now).
EVENTS = """
INSERT INTO ticket_event (ticket_id, at, event, from_status, to_status, actor_id, note, data)
SELECT id, LEAST(created_at + step.after, :now), step.event, step.from_status, step.to_status,
    CASE WHEN step.by_reporter THEN reporter_id WHEN step.by_staff THEN assignee_id END, step.note, '{}'::json
FROM ticket JOIN (VALUES
    ('open', NULL, 'new', interval '0', true, false, NULL,
        ARRAY['new','assigned','acknowledged','in_progress','waiting_owner','reopened','rejected',
              'transferred','closed','closed_unconfirmed','withdrawn']),
    ('assign', 'new', 'assigned', interval '5 minutes', false, false, NULL,
        ARRAY['assigned','acknowledged','in_progress','waiting_owner','reopened','rejected','transferred',
              'closed','closed_unconfirmed']),
    ('acknowledge', 'assigned', 'acknowledged', interval '40 minutes', false, true, NULL,
        ARRAY['acknowledged','in_progress','waiting_owner','reopened','transferred','closed',
              'closed_unconfirmed']),
    ('start', 'acknowledged', 'in_progress', interval '2 hours', false, true, NULL,
        ARRAY['in_progress','waiting_owner','reopened','closed','closed_unconfirmed']),
    ('ask_owner', 'in_progress', 'waiting_owner', interval '3 hours', false, true,
        '请问是几号电梯？几点停的？', ARRAY['waiting_owner']),
    ('reject', 'assigned', 'rejected', interval '1 hour', false, true, '不属于物业服务范围',
        ARRAY['rejected']),
    ('transfer_department', 'acknowledged', 'transferred', interval '1 day', false, false, NULL,
        ARRAY['transferred']),
    ('resolve', 'in_progress', 'resolved', interval '1 day', false, true, '已更换控制板，电梯恢复运行',
        ARRAY['reopened','closed','closed_unconfirmed']),
    ('reopen', 'resolved', 'reopened', interval '26 hours', true, false, '第二天又停了',
        ARRAY['reopened']),
    ('confirm', 'resolved', 'closed', interval '2 days', true, false, NULL, ARRAY['closed']),
    ('close_unconfirmed', 'resolved', 'closed_unconfirmed', interval '4 days', false, false, NULL,
        ARRAY['closed_unconfirmed']),
    ('withdraw', 'new', 'withdrawn', interval '30 minutes', true, false, NULL, ARRAY['withdrawn'])
) AS step(event, from_status, to_status, after, by_reporter, by_staff, note, statuses)
    ON ticket.status = ANY(step.statuses)
ORDER BY ticket.id, step.after
"""

# Each of the 50 owners gets two open and two closed tickets of their estate, handled by its repairer.
OWNERS_CASES = """
UPDATE ticket SET reporter_id = mine.owner, reporter_unit = mine.unit, assignee_id = mine.staff
FROM (
    SELECT t.id, o.person_id AS owner, o.unit, s.person_id AS staff,
        row_number() OVER (PARTITION BY t.estate_id, t.status IN ({open}) ORDER BY t.id) AS k
    FROM ticket t
    JOIN role o ON o.estate_id = t.estate_id AND o.kind = 'owner'
    JOIN person p ON p.id = o.person_id AND p.key LIKE 'web-owner-%'
    JOIN role s ON s.estate_id = t.estate_id AND s.kind = 'staff'
    WHERE t.status NOT IN ('new', 'withdrawn')
) AS mine
WHERE ticket.id = mine.id AND mine.k <= 2
"""


def people_yaml(sessions: int) -> str:
    """Officials at each level, owners and their estates' repairers, all on Telegram (so /web gives them
    a sign-in code), with Telegram ids from 910000 up."""
    ids = iter(range(910_000, 920_000))
    people: list[tuple[str, str, str]] = []
    for i in range(sessions):
        community = f"c{i % STREETS}-{(i // STREETS) % COMMUNITIES}"
        people += [
            (f"web-bureau-{i}", f"专班{i}", "{role: official, office: bureau}"),
            (f"web-street-{i}", f"街道干部{i}", f"{{role: official, office: s{i % STREETS}}}"),
            (f"web-community-{i}", f"社区干部{i}", f"{{role: official, office: {community}}}"),
        ]
    for k, n in enumerate(OWNERS_ESTATES[:sessions]):
        people += [
            (f"web-owner-{k}", f"业主{k}", f"{{role: owner, estate: e{n}, unit: 3-{1201 + k}}}"),
            (f"web-staff-{k}", f"维修师傅{k}", f"{{role: staff, estate: e{n}, duty: repair}}"),
        ]
    return "".join(
        f"  - {{key: {key}, name: {name}, telegram_id: {next(ids)}, roles: [{role}]}}\n"
        for key, name, role in people
    )


def seed_history(app: Any, now: datetime) -> tuple[int, int]:
    """The owners' cases and every ticket's history; returns (events written, owners' cases)."""
    open_list = ", ".join(f"'{s}'" for s in OPEN)
    with app.engine.begin() as c:
        cases = c.execute(text(OWNERS_CASES.format(open=open_list))).rowcount
        events = c.execute(text(EVENTS), {"now": now}).rowcount
    with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE ticket"))
        c.execute(text("VACUUM ANALYZE ticket_event"))
    return events, cases


# ---- the servers ------------------------------------------------------------------------------------
@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base: str
    log: Path
    database: Any = None  # an engine to read pg_stat_activity with: wuye's connections carry APP_NAME

    def cpu_seconds(self) -> float:
        """User and system time of the server's process and every process under it (`wuye web
        --workers`), all threads."""
        return sum(_cpu(pid) for pid in _tree(self.process.pid))


def database_cpu(server: Server) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving the server (its connections' application_name;
    the server runs on this machine's PostgreSQL)."""
    if server.database is None:
        return {}
    with server.database.connect() as c:
        pids = c.execute(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"), {"name": APP_NAME}
        ).scalars()
        return {pid: _cpu(pid) for pid in pids}


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def _cpu(pid: int) -> float:
    try:
        fields = _stat(pid)
    except OSError:  # gone since it was listed
        return 0.0
    return sum(int(f) for f in fields[11:13]) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _tree(root: int) -> list[int]:
    """`root` and its descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except OSError:
                continue
    found, i = [root], 0
    while i < len(found):
        found += [pid for pid, parent in parents.items() if parent == found[i]]
        i += 1
    return found


async def _listening(server: Server) -> Server:
    async with aiohttp.ClientSession() as client:
        for _ in range(600):
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.name} exited:\n{server.log.read_text()[-3000:]}")
            try:
                async with client.get(server.base + "/signin") as r:
                    await r.read()
                    return server
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{server.name} did not start within a minute:\n{server.log.read_text()[-3000:]}")


def _spawn(name: str, args: list[str], env: dict[str, str], workdir: Path, port: int) -> Server:
    log = workdir / f"{name}.out"
    with open(log, "ab") as out:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, process, f"http://127.0.0.1:{port}", log)


async def start_wuye_web(url: str, workdir: Path, workers: int | None, cache: str | None = None) -> Server:
    """`wuye web` exactly as an operator starts it, settings from the environment; `cache`, if given,
    is its WUYE_WEB_CACHE_SECONDS ("0": every page drawn afresh)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUYE_")}
    env.update(
        WUYE_DATABASE_URL=url,
        WUYE_DATA_DIR=str(workdir / "data"),
        WUYE_WEB_SECRET=SECRET,
        WUYE_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if cache is not None:
        env["WUYE_WEB_CACHE_SECONDS"] = cache
    args = [sys.executable, "-m", "bot.cli.main", "web", "--listen", f"127.0.0.1:{port}"]
    if workers is not None:
        args += ["--workers", str(workers)]
    return await _listening(_spawn("wuye-web", args, env, workdir, port))


async def start_bare(size: int, workdir: Path) -> Server:
    port = free_port()
    args = [sys.executable, str(ROOT / "bench" / "bare_web.py"), "--port", str(port), "--bytes", str(size)]
    return await _listening(_spawn("bare-web", args, dict(os.environ), workdir, port))


@contextmanager
def stopped_at_end(*servers: Server) -> Iterator[None]:
    try:
        yield
    finally:
        for s in servers:
            if s.process.poll() is None:
                s.process.terminate()
                try:
                    s.process.wait(20)
                except subprocess.TimeoutExpired:
                    s.process.kill()


# ---- signing in -------------------------------------------------------------------------------------
async def sign_in(base: str, code: str) -> str:
    """The sign-in form, as a browser fills it in: its page (a session cookie and the form's CSRF token),
    then the code posted with them; returns the signed-in session's cookie value."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as client:
        async with client.get(base + "/signin") as r:
            found = _CSRF.search(await r.text())
        assert found, "no CSRF token on the sign-in page"
        async with client.post(
            base + "/signin", data={"csrf": found.group(1), "code": code}, allow_redirects=False
        ) as r:
            assert r.status == 303, f"sign-in answered {r.status}: {(await r.text())[:300]}"
        cookie = jar.filter_cookies(URL(base)).get("wuye_session")
        assert cookie is not None, "no session cookie after signing in"
        return cookie.value


# ---- the load ---------------------------------------------------------------------------------------
@dataclass
class Load:
    """One page's sessions: each a cookie and the paths it asks in turn."""

    name: str
    cookies: list[str]
    paths: list[list[str]]
    expect: list[str]  # a text every answer of the session contains (checked on the warm-up)


@dataclass
class Run:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    cpu: float
    size: int
    database_cpu: float = 0.0  # PostgreSQL's backends serving the server

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def p(self, q: float) -> float:
        return 1000 * percentile(self.latencies, q)


async def drive(client: aiohttp.ClientSession, server: Server, load: Load, seconds: float) -> Run:
    latencies: list[float] = []
    errors, sizes = 0, []

    async def ask(i: int, j: int) -> tuple[int, bytes]:
        paths = load.paths[i]
        headers = {"Cookie": f"wuye_session={load.cookies[i]}"}
        async with client.get(
            server.base + paths[j % len(paths)], headers=headers, allow_redirects=False
        ) as r:
            return r.status, await r.read()

    async def warm(i: int) -> None:
        status, body = await ask(i, 0)
        if status != 200 or load.expect[i].encode() not in body:
            raise RuntimeError(f"{load.name}: session {i} got {status}: {body[:400]!r}")
        sizes.append(len(body))

    await asyncio.gather(*(warm(i) for i in range(len(load.cookies))))
    stop_at = time.perf_counter() + seconds
    cpu = server.cpu_seconds()
    backends = database_cpu(server)
    started = time.perf_counter()

    async def session(i: int) -> None:
        nonlocal errors
        j = 1
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            status, _ = await ask(i, j)
            latencies.append(time.perf_counter() - t0)
            errors += status != 200
            j += 1

    await asyncio.gather(*(session(i) for i in range(len(load.cookies))))
    took = time.perf_counter() - started
    spent = server.cpu_seconds() - cpu
    by_database = sum(now - backends.get(pid, 0.0) for pid, now in database_cpu(server).items())
    return Run(len(latencies), took, latencies, errors, spent, int(statistics.median(sizes)), by_database)


def profiler(args: argparse.Namespace, server: Server, page: str) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the server (every thread) for the page's first round, its stacks folded into
    --profile/<page>.txt (one line a stack and its samples, as flame graph tools read them)."""
    if not args.profile:
        return None
    out = Path(args.profile) / (re.sub(r"[^a-z]+", "-", page).strip("-") + ".txt")
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    command = [str(spy), "record", "--pid", str(server.process.pid), "--duration", str(int(args.seconds))]
    command += ["--rate", "250", "--format", "raw", "--output", str(out), "--nonblocking", "--threads"]
    command += ["--subprocesses"]  # wuye web --workers
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@dataclass
class Measured:
    runs: list[Run] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)


async def measure(args: argparse.Namespace, url: str, app: Any, workdir: Path) -> list[list[Any]]:
    # Each page twice: drawn afresh by a `wuye web` without the page cache, as after every change, and
    # by one with it (its default), where a session asks a page it asked before and nothing changed.
    # The same cookies serve both: they are signed with the same key, and a session lives in its cookie.
    wuye = await start_wuye_web(url, workdir, args.workers, "0")
    kept = await start_wuye_web(url, workdir, args.workers) if args.cache else None
    variants = [("", wuye)] + ([(" kept", kept)] if kept is not None else [])
    for _, server in variants:
        server.database = app.engine
    bare: Server | None = None
    with stopped_at_end(*(server for _, server in variants)):
        loads: list[Load] = []
        with app.engine.connect() as c:
            owners = c.execute(
                text(
                    "SELECT p.key, t.number FROM ticket t JOIN person p ON p.id = t.reporter_id "
                    "WHERE p.key LIKE 'web-owner-%' ORDER BY p.key, t.id"
                )
            ).all()
        cases: dict[str, list[str]] = {}
        for key, number in owners:
            cases.setdefault(key, []).append(number)
        pages = [f"/area?list=overdue&page={p}" for p in (1, 2, 3)]
        for level in args.levels:
            keys = [f"web-{level}-{i}" for i in range(args.sessions)]
            cookies = await asyncio.gather(
                *(sign_in(wuye.base, sign_in_code_for_key(app.ctx, k)[0]) for k in keys)
            )
            loads.append(
                Load(
                    f"overdue page ({level})", list(cookies), [pages] * len(keys), ['id="estate"'] * len(keys)
                )
            )
        keys = sorted(cases)[: args.sessions]
        cookies = await asyncio.gather(
            *(sign_in(wuye.base, sign_in_code_for_key(app.ctx, k)[0]) for k in keys)
        )
        paths = [[f"/t/{n}" for n in cases[k]] for k in keys]
        loads.append(Load("case page (owner)", list(cookies), paths, [p[0][3:] for p in paths]))
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as client:
            # the bare page as big as wuye's pages are (the median of theirs: each session asked once)
            sizes = [(await drive(client, wuye, load, 0)).size for load in loads]
            bare = await start_bare(int(statistics.median(sizes)), workdir)
            with stopped_at_end(bare):
                bare_load = Load(
                    "bare aiohttp page",
                    loads[0].cookies,  # the same requests, cookie and all; the bare page ignores it
                    [["/area?list=overdue&page=1"]] * args.sessions,
                    ["B-"] * args.sessions,
                )
                results: dict[str, Measured] = {bare_load.name: Measured()}
                results.update({load.name + name: Measured() for load in loads for name, _ in variants})
                for round_ in range(args.rounds):
                    floor = await drive(client, bare, bare_load, args.seconds)
                    results[bare_load.name].runs.append(floor)
                    results[bare_load.name].ratios.append(1.0)
                    for load in loads:
                        for name, server in variants:
                            spy = profiler(args, server, load.name + name) if round_ == 0 else None
                            run = await drive(client, server, load, args.seconds)
                            if spy is not None:
                                await asyncio.to_thread(spy.wait)
                            results[load.name + name].runs.append(run)
                            results[load.name + name].ratios.append(run.rate / floor.rate)
                    print(
                        f"round {round_ + 1}: "
                        + ", ".join(f"{n} {m.runs[-1].rate:.0f}/s" for n, m in results.items()),
                        file=sys.stderr,
                    )
    rows = []
    for name, m in results.items():
        rows.append(
            [
                name,
                args.sessions,
                f"{sum(r.requests for r in m.runs):,}",
                f"{statistics.median(r.rate for r in m.runs):.1f}",
                f"{statistics.median(r.p(50) for r in m.runs):.1f}",
                f"{statistics.median(r.p(95) for r in m.runs):.1f}",
                f"{statistics.median(m.ratios):.2f}",
                f"{statistics.median(1000 * r.cpu / r.requests for r in m.runs):.2f}",
                f"{statistics.median(1000 * r.database_cpu / r.requests for r in m.runs):.2f}",
                f"{m.runs[0].size:,}",
                sum(r.errors for r in m.runs),
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=50, help="signed-in sessions at once (at most 50)")
    parser.add_argument("--seconds", type=float, default=10.0, help="each page's time in a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--levels", nargs="+", choices=LEVELS, default=list(LEVELS), help="officials' levels")
    parser.add_argument("--database-url", default=DATABASE)
    parser.add_argument(
        "--workers", type=int, help="wuye web's --workers (default: its own, one process per CPU up to 4)"
    )
    parser.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="only the pages drawn afresh (no second wuye web)",
    )
    parser.add_argument("--profile", metavar="DIR", help="py-spy each page of the first round into DIR")
    parser.add_argument("--keep", action="store_true", help="keep the schema (its name is printed)")
    parser.add_argument("--schema", help="measure a kept schema again (no seeding)")
    args = parser.parse_args(argv)
    if args.profile and not Path(sys.executable).with_name("py-spy").exists():
        parser.error("--profile needs py-spy beside this Python: .venv/bin/pip install py-spy")
    args.sessions = max(1, min(args.sessions, len(OWNERS_ESTATES)))
    assert max(OWNERS_ESTATES) < STREETS * COMMUNITIES * ESTATES
    schema = args.schema or f"wuye_bench_webbench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(args.database_url)
    if not args.schema:
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(args.database_url).update_query_dict({"options": f"-csearch_path={schema}"})
        url_text = url.render_as_string(hide_password=False)
        served = url.update_query_dict({"application_name": APP_NAME}).render_as_string(hide_password=False)
        app = build_app(Settings(database_url=url_text))
        if not args.schema:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "district.yaml"
                path.write_text(setup_yaml() + people_yaml(50), encoding="utf-8")
                apply_setup(app.ctx, read_setup(path))
            now = datetime.now(UTC).replace(microsecond=0)
            took = seed(app, args.tickets, now)
            started = time.perf_counter()
            events, cases = seed_history(app, now)
            took += time.perf_counter() - started
            print(
                f"{args.tickets:,} tickets, {events:,} events ({cases} owners' cases) written in {took:.1f} s"
                f" in schema {schema}",
                file=sys.stderr,
            )
        with tempfile.TemporaryDirectory(prefix="wuye-bench-web-") as tmp:
            rows = asyncio.run(measure(args, served, app, Path(tmp)))
        app.engine.dispose()
        load = os.getloadavg()
        print(
            f"PostgreSQL, {args.tickets:,} tickets ({args.tickets // 10:,} open); {args.rounds} round(s) of "
            f"{args.seconds:g} s per page; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end"
        )
        headers = [
            "page",
            "sessions",
            "requests",
            "req/s",
            "p50 ms",
            "p95 ms",
            "ratio to bare",
            "server CPU ms/req",
            "PostgreSQL CPU ms/req",
            "bytes",
            "errors",
        ]
        print(table(headers, rows))
    finally:
        if not args.keep and not args.schema:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        elif args.keep:
            print(f"kept schema {schema}: measure again with --schema {schema}", file=sys.stderr)
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
