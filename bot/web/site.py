"""The web application put together: the front door's middleware, every page's routes, the assets."""

from __future__ import annotations

from aiohttp import web

from bot.web import pages_lists, pages_people, pages_revenue, pages_tickets
from bot.web.app import DEPS, HERE, MAX_REQUEST, WebDeps, front_door, not_found


def make_web_app(deps_: WebDeps) -> web.Application:
    app = web.Application(middlewares=[front_door], client_max_size=MAX_REQUEST)
    app[DEPS] = deps_
    pages_people.add_routes(app)
    pages_tickets.add_routes(app)
    pages_lists.add_routes(app)
    pages_revenue.add_routes(app)
    app.router.add_static("/static/", HERE / "static", append_version=False)
    app.router.add_route("*", "/{tail:.*}", not_found)

    async def begin(_app: web.Application) -> None:
        if deps_.pages is not None:
            deps_.pages.changes.start()

    async def close(_app: web.Application) -> None:
        if deps_.pages is not None:
            deps_.pages.changes.stop()
        deps_.executor.shutdown(wait=False)
        if deps_.reader is not None:
            deps_.reader[1].dispose()

    app.on_startup.append(begin)
    app.on_cleanup.append(close)
    return app
