"""Who reads what is drawn: a message is rendered for the chat it goes to, never for whoever pressed.

In a private chat the reader's own rights decide what they see. A group is read by people the bot
cannot list, so nothing that identifies a reporter goes there, whoever pressed the button and whatever
the tier: the handlers see the reporter in their private chats, as the tier allows. Every card,
timeline and list of tickets is drawn through an `Audience`, made only by `audience_for`.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.domain.notifications import GroupBinding
from handlers.domain.organisations import Office, OfficeKind
from handlers.domain.people import RoleKind
from handlers.domain.ticket import Attachment, AttachmentKind, Ticket
from handlers.ports import UnitOfWork
from handlers.rules.categories import Privacy
from handlers.services import access
from handlers.services.access import Actor
from handlers.services.errors import NotFound
from handlers.services.groups import binding_covers, binding_stands


@dataclass(frozen=True)
class Audience:
    chat_id: int
    actor: Actor | None = None  # a private chat's reader (None: a group, or nobody the bot knows)
    binding: GroupBinding | None = None  # a group's binding, while it stands

    @property
    def group(self) -> bool:
        return self.chat_id < 0  # Telegram's groups and supergroups have negative ids, people positive

    def sees_ticket(self, uow: UnitOfWork, ticket: Ticket) -> bool:
        """May this chat be shown the ticket at all?"""
        if self.group:
            return self.binding is not None and binding_covers(uow, self.binding, ticket)
        return self.actor is not None and access.can_see(uow, self.actor, ticket)

    def may_open(self, uow: UnitOfWork, presser: Actor, ticket: Ticket) -> bool:
        """The presser may open the ticket, and this chat, which it is drawn into, may read it."""
        return access.can_see(uow, presser, ticket) and self.sees_ticket(uow, ticket)

    def sees_reporter(self, uow: UnitOfWork, ticket: Ticket) -> bool:
        """Who reported it (name, unit), as the reporter's privacy choice allows this reader."""
        if self.group or self.actor is None or ticket.reporter_id is None:
            return False
        if ticket.reporter_id == self.actor.id:
            return True
        if ticket.privacy is Privacy.NOBODY or not access.can_see(uow, self.actor, ticket):
            return False
        return ticket.privacy is Privacy.EVERYONE or access.is_government(uow, self.actor, ticket)

    def photos(
        self, uow: UnitOfWork, ticket: Ticket, attached: list[Attachment] | None = None
    ) -> list[Attachment]:
        """The ticket's photos this chat may be sent: in a group, the reporter's own only when they
        let everyone handling the case see who they are. `attached`: the ticket's attachments, if the
        caller has read them already."""
        if attached is None:
            attached = uow.attachments.of_ticket(ticket.id or 0)
        photos = [a for a in attached if a.kind is AttachmentKind.PHOTO]
        if self.group and ticket.privacy is not Privacy.EVERYONE:
            photos = [a for a in photos if a.added_by is not None and a.added_by != ticket.reporter_id]
        return photos

    # What the card offers. In a group the buttons are the bound unit's; whoever presses one acts with
    # their own rights (every use case checks them).
    def handles(self, ticket: Ticket) -> bool:
        if self.group:
            return self.binding is not None and self.binding.estate_id == ticket.estate_id
        actor = self.actor
        return actor is not None and (
            actor.has(RoleKind.MANAGER, ticket.estate_id)
            or (actor.has(RoleKind.STAFF, ticket.estate_id) and ticket.assignee_id == actor.id)
        )

    def manages(self, ticket: Ticket) -> bool:
        if self.group:
            return self.handles(ticket)
        return self.actor is not None and self.actor.has(RoleKind.MANAGER, ticket.estate_id)

    def department(self, ticket: Ticket) -> bool:
        if self.group:
            return (
                self.binding is not None
                and self.binding.office_id is not None
                and self.binding.office_id == ticket.department_office_id
                and ticket.status in access.DEPARTMENT_ACTS
            )
        return self.actor is not None and access.department_of(self.actor, ticket)

    def office_over(self, uow: UnitOfWork, ticket: Ticket) -> Office | None:
        """The supervising office (community, street, bureau) whose buttons the card carries."""
        estate = uow.estates.get(ticket.estate_id)
        if estate is None:
            return None
        if self.group:
            if self.binding is None or self.binding.office_id is None:
                return None
            chain = access.supervising_offices(uow, estate)
            return next((o for o in chain if o.id == self.binding.office_id), None)
        office = access.official_over(uow, self.actor, estate) if self.actor is not None else None
        return office if office is not None and office.kind is not OfficeKind.DEPARTMENT else None


def audience_for(uow: UnitOfWork, chat_id: int, person_id: int | None) -> Audience:
    """The readers of `chat_id`: in a private chat the person it belongs to (`person_id`); a group with
    the unit bound to it, if its binding stands."""
    if chat_id < 0:
        binding = uow.groups.get(chat_id)
        return Audience(chat_id, binding=binding if binding and binding_stands(uow, binding) else None)
    if person_id is None:
        return Audience(chat_id)
    try:
        return Audience(chat_id, actor=access.load_actor(uow, person_id))
    except NotFound:
        return Audience(chat_id)
