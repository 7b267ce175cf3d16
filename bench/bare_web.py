"""A bare aiohttp page, the floor bench/web.py measures wuye's pages against: one handler that answers
every GET with the same HTML page of a given size, in its own process, with aiohttp's defaults (no
access log, as `wuye web` runs). Started by bench/web.py; not a benchmark of its own.

    .venv/bin/python bench/bare_web.py --port 8091 --bytes 20000
"""

from __future__ import annotations

import argparse
import sys

from aiohttp import web


def page(size: int) -> str:
    """An HTML page of about `size` bytes in UTF-8: a head, a list of links, as wuye's list pages are."""
    head = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>bare</title></head><body><ul>\n'
    )
    tail = "</ul></body></html>\n"
    rows: list[str] = []
    n = 0
    while len(head) + len(tail) + sum(len(r) for r in rows) < size:
        rows.append(f'<li><a href="/t/B-{n:08d}">B-{n:08d} · Overdue · due 2026-12-01 10:00</a></li>\n')
        n += 1
    return head + "".join(rows) + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bytes", type=int, default=20_000, help="the page's size")
    args = parser.parse_args(argv)
    body = page(args.bytes)

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
