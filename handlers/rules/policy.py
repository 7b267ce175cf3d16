"""Deadlines and the escalation ladder as data: defaults here, overrides from the setup file."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from handlers.rules.categories import Category, Urgency
from handlers.rules.worktime import Duration


class Rung(StrEnum):
    """Who is pinged at each rung of the ladder, in order."""

    ASSIGNEE = "assignee"  # 0
    MANAGER = "manager"  # 1
    COMMUNITY = "community"  # 2
    STREET = "street"  # 3
    BUREAU = "bureau"  # 4: listed supervision (挂牌督办)


RUNG_ORDER: tuple[Rung, ...] = (Rung.ASSIGNEE, Rung.MANAGER, Rung.COMMUNITY, Rung.STREET, Rung.BUREAU)


class AfterHours(StrEnum):
    """Whether a ticket's reminders and escalations may ping people outside office hours."""

    PING = "ping"  # at night, at weekends and on holidays too, as they fall due
    WAIT = "wait"  # they wait for the office to open on the next working day


class Trigger(StrEnum):
    NOT_ACKNOWLEDGED = "not_acknowledged"  # measured from the acknowledgement limit
    DEADLINE = "deadline"  # measured from the resolution deadline


@dataclass(frozen=True)
class LadderStep:
    rung: Rung
    trigger: Trigger
    after: Duration  # how long after the trigger moment

    def to_dict(self) -> dict[str, str]:
        return {"rung": self.rung.value, "trigger": self.trigger.value, "after": str(self.after)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LadderStep:
        return cls(Rung(data["rung"]), Trigger(data["trigger"]), Duration.parse(str(data["after"])))


DEFAULT_LADDER: tuple[LadderStep, ...] = (
    LadderStep(Rung.MANAGER, Trigger.NOT_ACKNOWLEDGED, Duration.parse("0h")),
    LadderStep(Rung.COMMUNITY, Trigger.DEADLINE, Duration.parse("0h")),
    LadderStep(Rung.STREET, Trigger.DEADLINE, Duration.parse("3wd")),
    LadderStep(Rung.BUREAU, Trigger.DEADLINE, Duration.parse("5wd")),
)


@dataclass(frozen=True)
class Policy:
    """The limits a ticket is opened under; a ticket keeps a snapshot of it."""

    key: str
    acknowledge_within: Duration
    resolve_within: Duration
    quiet_period: Duration = field(default_factory=lambda: Duration.parse("3wd"))
    remind_at_fraction: float = 0.5  # remind the assignee when this share of the time has passed
    remind_before: Duration = field(default_factory=lambda: Duration.parse("1wd"))
    ladder: tuple[LadderStep, ...] = DEFAULT_LADDER
    category: Category | None = None
    urgency: Urgency | None = None
    after_hours: AfterHours | None = None  # None: emergencies ping, everything else waits

    def pings_after_hours(self, urgency: Urgency | None = None) -> bool:
        """Whether steps may ping outside office hours: as set, else only for an emergency (the
        ticket's urgency when given, else the policy's own)."""
        if self.after_hours is not None:
            return self.after_hours is AfterHours.PING
        return (urgency or self.urgency) is Urgency.EMERGENCY

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "category": self.category.value if self.category else None,
            "urgency": self.urgency.value if self.urgency else None,
            "acknowledge_within": str(self.acknowledge_within),
            "resolve_within": str(self.resolve_within),
            "quiet_period": str(self.quiet_period),
            "remind_at_fraction": self.remind_at_fraction,
            "remind_before": str(self.remind_before),
            "ladder": [step.to_dict() for step in self.ladder],
            "after_hours": self.after_hours.value if self.after_hours else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        """Build a policy from a snapshot or a setup-file entry; ValueError names the bad field."""
        try:
            fraction = float(data.get("remind_at_fraction", 0.5))
        except (TypeError, ValueError):
            raise ValueError("remind_at_fraction: must be a number between 0 and 1") from None
        if not 0 < fraction < 1:
            raise ValueError("remind_at_fraction: must be a number between 0 and 1")
        parsed: dict[str, Duration] = {}
        for name in ("acknowledge_within", "resolve_within", "quiet_period", "remind_before"):
            if name not in data and name in ("quiet_period", "remind_before"):
                parsed[name] = Duration.parse("3wd" if name == "quiet_period" else "1wd")
                continue
            if name not in data:
                raise ValueError(f"{name}: missing")
            try:
                parsed[name] = Duration.parse(str(data[name]))
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        ladder_data = data.get("ladder")
        try:
            ladder = tuple(LadderStep.from_dict(s) for s in ladder_data) if ladder_data else DEFAULT_LADDER
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"ladder: {exc}") from None
        try:
            category = Category(data["category"]) if data.get("category") else None
        except ValueError:
            raise ValueError(f"category: unknown category {data['category']!r}") from None
        try:
            urgency = Urgency(data["urgency"]) if data.get("urgency") else None
        except ValueError:
            raise ValueError(f"urgency: unknown urgency {data['urgency']!r}") from None
        try:
            after_hours = AfterHours(data["after_hours"]) if data.get("after_hours") else None
        except ValueError:
            raise ValueError(
                f"after_hours: {data['after_hours']!r} is neither ping (outside office hours too) nor "
                "wait (for the office to open)"
            ) from None
        return cls(
            key=str(data.get("key") or _key(category, urgency)),
            acknowledge_within=parsed["acknowledge_within"],
            resolve_within=parsed["resolve_within"],
            quiet_period=parsed["quiet_period"],
            remind_at_fraction=fraction,
            remind_before=parsed["remind_before"],
            ladder=ladder,
            category=category,
            urgency=urgency,
            after_hours=after_hours,
        )


def _key(category: Category | None, urgency: Urgency | None) -> str:
    return f"{category.value if category else '*'}/{urgency.value if urgency else '*'}"


def _policy(urgency: Urgency, ack: str, resolve: str, **kw: Any) -> Policy:
    return Policy(
        key=_key(None, urgency),
        urgency=urgency,
        acknowledge_within=Duration.parse(ack),
        resolve_within=Duration.parse(resolve),
        **kw,
    )


# Reference figures from Beijing's 12345 hotline: emergencies within 2 hours, water/power/gas/heating
# within 24 hours, ordinary within 7 working days, complex within 15.
DEFAULT_POLICIES: tuple[Policy, ...] = (
    _policy(Urgency.EMERGENCY, "1h", "2h", remind_before=Duration.parse("1h")),
    _policy(Urgency.URGENT, "2h", "24h", remind_before=Duration.parse("4h")),
    _policy(Urgency.ORDINARY, "1wd", "7wd"),
    _policy(Urgency.COMPLEX, "1wd", "15wd", remind_before=Duration.parse("2wd")),
    # Money and governance complaints need an investigation: ordinary ones get the complex limit.
    *(
        replace(
            _policy(Urgency.COMPLEX, "1wd", "15wd", remind_before=Duration.parse("2wd")),
            key=_key(c, Urgency.ORDINARY),
            category=c,
            urgency=Urgency.ORDINARY,
        )
        for c in (
            Category.REVENUE_MISUSE,
            Category.MAINTENANCE_FUND,
            Category.COMMON_SPACE,
            Category.SERVICE_ROOMS,
            Category.OWNERS_COMMITTEE,
        )
    ),
)


def choose_policy(
    policies: list[Policy] | tuple[Policy, ...], category: Category, urgency: Urgency
) -> Policy:
    """The most specific policy: category and urgency, then category alone, then urgency alone; with
    `after_hours` settled for this urgency, so a ticket's snapshot says whether it pings at night."""
    by_match = {(p.category, p.urgency): p for p in policies}
    defaults = {(p.category, p.urgency): p for p in DEFAULT_POLICIES}
    chosen = next(
        (by_match[w] for w in ((category, urgency), (category, None), (None, urgency)) if w in by_match),
        None,
    ) or next((defaults[w] for w in ((category, urgency), (None, urgency)) if w in defaults), None)
    if chosen is None:
        raise LookupError(f"no policy for {category.value}/{urgency.value}")
    pings = chosen.pings_after_hours(urgency)
    return replace(chosen, after_hours=AfterHours.PING if pings else AfterHours.WAIT)


def merge_policies(overrides: list[Policy]) -> list[Policy]:
    """Defaults with the setup file's policies laid over them by (category, urgency)."""
    merged = {(p.category, p.urgency): p for p in DEFAULT_POLICIES}
    merged.update({(p.category, p.urgency): p for p in overrides})
    return list(merged.values())
