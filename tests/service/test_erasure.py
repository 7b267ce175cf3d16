"""Erasure (PIPL), checked against a dump of every table: after /privacy → delete nothing links the
person to their reports, and what they typed besides the problem itself is gone; the case record stays."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from handlers.domain.people import ERASED_PERSON_KEY
from handlers.rules.lifecycle import Event, Status
from handlers.services import tickets
from tests.service.talk import Talk
from tests.service.world import LI_REPAIR, WANG_MANAGER, ZHANG_OWNER, World

GROUP = -1003001
TYPED = ("我在家，下午三点以后都可以", "还是不行，门一开就报警", "师傅态度很好但是修得太慢", "已经第三次了")


def dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as stored."""
    with engine.connect() as conn:
        return {
            table.name: [
                dict(row._mapping) for row in conn.execute(select(table).order_by(*table.primary_key))
            ]
            for table in SQLModel.metadata.sorted_tables
        }


async def test_after_delete_nothing_links_the_person_to_their_reports(world: World, engine: Engine) -> None:
    talk = Talk(world.ctx)
    talk.names[ZHANG_OWNER] = "Zhang-nickname"
    zhang, li = world.pid(ZHANG_OWNER), world.pid(LI_REPAIR)
    await talk.command(ZHANG_OWNER, "start")
    await talk.command(WANG_MANAGER, "bind", chat=GROUP)
    first = world.report(
        description="3栋电梯门关不上，一直响警报", location="3栋1单元电梯", photos=[("zp", "zu")]
    )
    second = world.report(description="地下车库入口的门禁坏了")
    tid = first.id or 0
    tickets.acknowledge(world.ctx, li, tid)
    tickets.ask_owner(world.ctx, li, tid, "您什么时候在家？")
    await talk.press(ZHANG_OWNER, f"rp:{tid}")
    await talk.text(ZHANG_OWNER, TYPED[0])  # a relayed answer
    tickets.resolve(world.ctx, li, tid, "已更换门机皮带")
    await talk.press(ZHANG_OWNER, f"nf:{tid}")
    await talk.text(ZHANG_OWNER, TYPED[1])  # a reason
    tickets.acknowledge(world.ctx, li, tid)
    tickets.resolve(world.ctx, li, tid, "更换了门机控制器")
    tickets.confirm(world.ctx, zhang, tid)
    tickets.rate(world.ctx, zhang, tid, 3, TYPED[2])  # a rating comment
    tickets.withdraw(world.ctx, zhang, second.id or 0)
    await talk.command(ZHANG_OWNER, "report")  # a draft in progress: conversation state
    await talk.text(ZHANG_OWNER, TYPED[3])
    before = dump(engine)
    assert any(r["user_id"] == ZHANG_OWNER for r in before["conversation"])
    assert any(TYPED[0] in str(r["params"]) for r in before["notification"])  # relayed to the staff

    await talk.command(ZHANG_OWNER, "privacy")
    await talk.press(ZHANG_OWNER, "pd:ask")
    await talk.press(ZHANG_OWNER, "pd:yes")

    after = dump(engine)
    [stand_in] = [r for r in after["person"] if r["key"] == ERASED_PERSON_KEY]
    marks = ("张女士", "3栋2单元501", "Zhang-nickname", str(ZHANG_OWNER), *TYPED)
    found = []
    for table, rows in after.items():
        person_columns = [
            fk.parent.name
            for fk in SQLModel.metadata.tables[table].foreign_keys
            if fk.column.table.name == "person"
        ]
        for row in rows:
            for column in person_columns:
                if row[column] == zhang:
                    found.append((table, column, "points to the erased person"))
            for column, value in row.items():
                if value == ZHANG_OWNER or any(
                    m in str(value) for m in marks if isinstance(value, str | dict)
                ):
                    found.append((table, column, str(value)[:60]))
    assert found == []
    # The case record stays: the tickets, their descriptions, places, photos, histories and handling.
    kept = {r["id"]: r for r in after["ticket"]}
    assert (
        kept[tid]["description"] == "3栋电梯门关不上，一直响警报" and kept[tid]["location"] == "3栋1单元电梯"
    )
    assert kept[tid]["status"] == Status.CLOSED.value and kept[tid]["rating"] == 3
    assert kept[tid]["reporter_id"] is None and kept[tid]["rating_comment"] is None
    assert [a["file_id"] for a in after["attachment"] if a["ticket_id"] == tid] == ["zp"]
    events = [e for e in after["ticket_event"] if e["ticket_id"] == tid]
    assert len(events) == len([e for e in before["ticket_event"] if e["ticket_id"] == tid]) + 1
    assert events[-1]["event"] == Event.ANONYMISE.value
    by_owner = [e for e in events if e["event"] in ("open", "owner_reply", "reopen", "confirm", "rate")]
    assert by_owner and {e["actor_id"] for e in by_owner} == {stand_in["id"]}
    assert [e["note"] for e in events if e["event"] == "resolve"] == ["已更换门机皮带", "更换了门机控制器"]
    # And the person is gone: writing again makes a stranger.
    assert not [r for r in after["person"] if r["telegram_id"] == ZHANG_OWNER]
    assert [r for r in after["person"] if r["id"] == zhang] == []
