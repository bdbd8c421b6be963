"""Reads for /verify/ and /security/: is a contact ours, a known fake, or neither."""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import get_language

from agents.selectors import chat_agents
from guard.text import fold
from tickets.models import Ticket
from verification.models import KnownFake, OfficialContact
from verification.normalise import (
    AGENT_CODE_PREFIX,
    Contact,
    Kind,
    contact_read,
    domain_normalise,
    skeleton,
)


class Answer:
    OFFICIAL = "official"
    FAKE = "fake"
    NOT_OURS = "not_ours"
    # An agent code: confirmed only together with the name the customer was given.
    AGENT = "agent"
    AGENT_NAME_NEEDED = "agent_name_needed"
    # A code without a name, from a customer with open chats or tickets: whether it is the agent
    # on one of theirs (never whose it is otherwise).
    AGENT_YOURS = "agent_yours"
    AGENT_NOT_YOURS = "agent_not_yours"
    TICKET = "ticket"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Verdict:
    answer: str
    contact: Contact | None = None
    description: str = ""
    reported_at: datetime | None = None
    # For a look-alike: the official contact it imitates.
    resembles: str = ""
    extra: dict = field(default_factory=dict)


def official_domains() -> list[str]:
    listed = OfficialContact.objects.filter(kind=Kind.DOMAIN, is_active=True)
    domains = [domain_normalise(d) or d for d in settings.SUPPORT_OFFICIAL_DOMAINS]
    return list(dict.fromkeys([*domains, *listed.values_list("normalised", flat=True)]))


def official_contacts() -> QuerySet[OfficialContact]:
    return OfficialContact.objects.filter(is_active=True)


def known_fakes() -> QuerySet[KnownFake]:
    return KnownFake.objects.all()


def _description(official: OfficialContact) -> str:
    return official.description_zh_hans if get_language() == "zh-hans" else official.description_en


def _registrable_label(host: str) -> str:
    """The label before the top-level domain: "wallet" for support.wallet.example."""
    labels = host.split(".")
    return labels[-2] if len(labels) >= 2 else host


def domain_lookalike(host: str) -> str:
    """The official domain `host` imitates ("" when none): the same letters in other scripts or
    punycode, the brand with added words ("walletsupport-help"), or another top-level domain."""
    for official in official_domains():
        brand = skeleton(_registrable_label(official))
        labels = [skeleton(label) for label in host.replace("-", ".").split(".")]
        joined = skeleton(host.rsplit(".", 1)[0])
        if skeleton(host) == skeleton(official) or any(brand in label for label in labels):
            return official
        if len(brand) >= 4 and brand in joined:
            return official
    return ""


def _is_official_host(host: str) -> str:
    for official in official_domains():
        if host == official or host.endswith("." + official):
            return official
    return ""


def _handle_lookalike(contact: Contact) -> str:
    wanted = skeleton(contact.value)
    for official in official_contacts().filter(kind=Kind.HANDLE):
        if skeleton(official.normalised) == wanted or (
            len(wanted) > 4 and skeleton(official.normalised) in wanted
        ):
            return official.value
    return ""


def _fake(contact: Contact) -> KnownFake | None:
    fakes = KnownFake.objects.filter(kind=contact.kind, normalised=contact.value)
    if contact.kind == Kind.HANDLE and contact.platform:
        fakes = fakes.filter(platform=contact.platform)
    return fakes.first()


def _official(contact: Contact) -> OfficialContact | None:
    found = official_contacts().filter(kind=contact.kind, normalised=contact.value)
    if contact.kind == Kind.HANDLE and contact.platform:
        found = found.filter(platform=contact.platform)
    return found.first()


def _same_name(given: str, real: str) -> bool:
    def plain(name: str) -> str:
        return " ".join(fold(name).casefold().split())

    return bool(given.strip()) and plain(given) == plain(real)


def _agents_with_code(contact: Contact) -> QuerySet:
    bare = contact.value.removeprefix(AGENT_CODE_PREFIX)
    spellings = Q(agent_code__iexact=contact.value) | Q(agent_code__iexact=bare)
    return chat_agents().filter(spellings)


def _agent_verdict(contact: Contact, *, agent_name: str, held: QuerySet[Ticket] | None) -> Verdict:
    """A code alone never names anyone; with the name the customer was given, both are checked
    together, and a wrong name answers exactly like an unknown code. Without a name, a customer
    with open tickets or chats (`held`) learns whether the code is the agent on one of them: a
    chat's agent is its ticket's assignee."""
    if not agent_name.strip():
        if held is None or not held.exists():
            return Verdict(Answer.AGENT_NAME_NEEDED, contact)
        agents = _agents_with_code(contact).values("user_id")
        ticket = held.filter(assignee_id__in=agents).only("reference").first()
        if ticket is None:
            return Verdict(Answer.AGENT_NOT_YOURS, contact)
        return Verdict(Answer.AGENT_YOURS, contact, extra={"reference": ticket.reference})
    agent = _agents_with_code(contact).only("display_name").first()
    if agent is not None and _same_name(agent_name, agent.display_name):
        return Verdict(Answer.AGENT, contact, extra={"name": agent.display_name})
    return Verdict(Answer.NOT_OURS, contact)


def contact_verify(
    *, raw: str, agent_name: str = "", held: QuerySet[Ticket] | None = None
) -> Verdict:
    """The answer /verify/ and the API give for what a customer typed; `held` are the open
    tickets the customer proved are theirs (tickets.held, or the app user's)."""
    contact = contact_read(raw)
    if contact is None or not contact.value:
        return Verdict(Answer.UNREADABLE)
    if (fake := _fake(contact)) is not None:
        return Verdict(Answer.FAKE, contact, reported_at=fake.reported_at)
    if contact.kind == Kind.AGENT_CODE:
        if Ticket.objects.filter(reference=contact.value).exists():
            return Verdict(Answer.TICKET, contact)
        return _agent_verdict(contact, agent_name=agent_name, held=held)
    if (official := _official(contact)) is not None:
        return Verdict(Answer.OFFICIAL, contact, description=_description(official))
    if contact.kind == Kind.DOMAIN:
        if _is_official_host(contact.value):
            return Verdict(Answer.OFFICIAL, contact, description=_website_description())
        return Verdict(Answer.NOT_OURS, contact, resembles=domain_lookalike(contact.value))
    if contact.kind == Kind.EMAIL:
        host = contact.value.rpartition("@")[2]
        return Verdict(Answer.NOT_OURS, contact, resembles=domain_lookalike(host))
    if contact.kind == Kind.HANDLE:
        return Verdict(Answer.NOT_OURS, contact, resembles=_handle_lookalike(contact))
    return Verdict(Answer.NOT_OURS, contact)


def _website_description() -> str:
    from django.utils.translation import gettext

    return gettext("Our website: help centre, live chat and contact form.")


_PHONE_RUN = re.compile(r"\+?\d[\d \-().]{6,20}\d")


def fakes_mentioned(*, text: str) -> list[KnownFake]:
    """The known fakes a customer's message mentions, for the warning and the agent's badge."""
    words = {word.strip(".,;:!?()[]<>\"'，。；：！？（）") for word in fold(text).split()}
    words.discard("")
    # A phone number is written with spaces: read each run of digits as one candidate too.
    words.update(match.strip() for match in _PHONE_RUN.findall(fold(text)))
    contacts = {c for c in map(contact_read, list(words)[:200]) if c is not None and c.value}
    if not contacts:
        return []
    found = []
    for fake in KnownFake.objects.filter(normalised__in={c.value for c in contacts}):
        if any(c.kind == fake.kind and c.value == fake.normalised for c in contacts):
            found.append(fake)
    return found


def verdict_message(verdict: Verdict) -> str:
    """The answer in one sentence, in the active language (the API's `message`)."""
    from django.utils.translation import gettext

    value = verdict.contact.value if verdict.contact else ""
    messages = {
        Answer.AGENT: gettext("%(name)s is a real agent of ours (code %(code)s)."),
        Answer.AGENT_NAME_NEEDED: gettext(
            "%(code)s reads as an agent code: send the name you were given with it."
        ),
        Answer.AGENT_YOURS: gettext(
            "%(code)s is the agent code of the agent on your ticket %(reference)s right now."
        ),
        Answer.AGENT_NOT_YOURS: gettext(
            "%(code)s is not the code of the agent on any of your open chats or tickets. To "
            "check it against our other agents, send the name you were given with it."
        ),
        Answer.TICKET: gettext("%(code)s is a real ticket reference of this support desk."),
        Answer.OFFICIAL: gettext("%(code)s is one of our official contacts."),
        Answer.FAKE: gettext(
            "%(code)s is a known fake, reported on %(date)s. It is not us: stop answering it "
            "and send it nothing."
        ),
        Answer.NOT_OURS: gettext(
            "%(code)s is not one of ours. Whoever gave it to you may be a scammer."
        ),
        Answer.UNREADABLE: gettext(
            "This does not read as a code, website, account, phone number or email of ours."
        ),
    }
    return messages[verdict.answer] % {
        "name": verdict.extra.get("name", ""),
        "reference": verdict.extra.get("reference", ""),
        "code": value,
        "date": verdict.reported_at.date().isoformat() if verdict.reported_at else "",
    }
