"""The /stats chart, owed by the turn that answered with the figures and sent by the outbox after that
answer: the turn does not wait on the drawing (a few hundred milliseconds), and an owed chart survives a
restart. Drawn when it is sent, for its reader, in their language; nothing when they may no longer read
the scope (their rights are checked again, as for any input)."""

from __future__ import annotations

import uuid

from handlers.conversations import stats_text as st
from handlers.conversations.io import Incoming, Send
from handlers.domain.notifications import Notification
from handlers.domain.people import Person
from handlers.ports import Translator, UnitOfWork
from handlers.rules.periods import Period
from handlers.services import notify, stats
from handlers.services.context import Context
from handlers.services.errors import NotAllowed, UserError
from handlers.services.figures import Scope, ScopeKind
from handlers.services.stats import StatsView

CHART = "stats.chart"
KINDS = frozenset({CHART})


def owe_chart(uow: UnitOfWork, ctx: Context, inc: Incoming, person: Person, view: StatsView) -> bool:
    """Queue the chart of `view` for the chat that asked (the caller commits). Keyed by the update, so a
    redelivered update owes no second chart; the console's updates have no id and each owes one."""
    assert person.id is not None
    tag = f"{inc.bot_id}-{inc.update_id}" if inc.update_id is not None else uuid.uuid4().hex
    return uow.notifications.add(
        Notification(
            key=notify.notification_key(CHART, person.id, tag=tag),
            person_id=person.id,
            kind=CHART,
            params={"period": str(view.period), "scope": view.scope.kind.value, "scope_id": view.scope.id},
            created_at=ctx.clock.now(),
            # asked in a group: the chart goes there, after the figures
            chat_id=inc.chat_id if inc.chat_id != person.telegram_id else None,
        )
    )


def render(ctx: Context, tr: Translator, n: Notification, person: Person) -> list[Send]:
    p = n.params
    chat = n.chat_id or person.telegram_id or 0
    try:
        period = Period.parse(str(p.get("period")))
        scope = Scope(ScopeKind(str(p.get("scope"))), int(p.get("scope_id") or 0))
        view = stats.stats_view(ctx, n.person_id, period, scope)
    except (ValueError, NotAllowed, UserError):
        return []  # no longer theirs to read (or a notice this version cannot read): nothing drawn
    spec = st.chart_spec(tr, view)
    caption = spec.title if not spec.note else f"{spec.title}\n{spec.note}"
    return [Send(chat, caption, chart=spec)]
