"""Who is told what, how and in which language: every message to a sponsor's people.

A message has a name: its e-mail is templates/mail/<name>_subject.txt and _body.txt, its text
message templates/sms/<name>.txt (short, no free text: codes, counts and dates). `MESSAGES`
says which kind each is.

A sponsor's people are its current members, each with their `NotificationPreference` (no row:
e-mail, in the sponsor's language), and the sponsor's own address, told by e-mail in the
sponsor's language unless a member has that address (then the member's choice decides).
`notify_sponsor` tells them all, `notify_administrators` a unit's administrators (the
sponsor's address if none can be reached), `notify_user` one person, `notify_users` a few
(an event's messages go to who signed up and the members coming).

Everything is sent after commit: e-mail through huamu.mail, one message per language to
all its addresses; text messages through huamu.sms, one per number. The privacy guard's
`screen` reads every e-mail and every text message first and may refuse the lot (and with
it the caller's transaction).

Staff notifications stay e-mail to the staff mailbox (huamu.mail.notify_staff).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import models
from django.utils.translation import gettext_lazy as _

from huamu.mail import send_after_commit
from huamu.phones import is_mobile
from huamu.sms import make_message, send_sms_after_commit
from sponsors.models import MemberRole, NotificationPreference, Sponsor

Screen = Callable[[str], None]


class NotificationKind(models.TextChoices):
    CLAIM = "claim", _("Your claims")
    CANCELLATION = "cancellation", _("A claim cancelled")
    REMINDER = "reminder", _("Reminders of promised dates")
    RELEASE = "release", _("A claim released by the association")
    FULFILMENT = "fulfilment", _("A wish come true")
    LETTER = "letter", _("Thank-you letters")
    VERIFICATION = "verification", _("Your verification")
    EVENT = "event", _("Events")
    HANDOVER = "handover", _("Bringing the gift")
    TEAM = "team", _("Your unit's team")


# Every message a sponsor's people receive, by name, and its kind.
MESSAGES: dict[str, NotificationKind] = {
    "claim_confirmed": NotificationKind.CLAIM,
    "claim_cancelled_sponsor": NotificationKind.CANCELLATION,
    "claim_reminder": NotificationKind.REMINDER,
    "claim_released_sponsor": NotificationKind.RELEASE,
    "wish_fulfilled": NotificationKind.FULFILMENT,
    "letter_delivered": NotificationKind.LETTER,
    "sponsor_verified": NotificationKind.VERIFICATION,
    "sponsor_rejected": NotificationKind.VERIFICATION,
    "handover_reminder": NotificationKind.HANDOVER,
    "gift_received": NotificationKind.HANDOVER,
    "team_join_request": NotificationKind.TEAM,
    "team_join_approved": NotificationKind.TEAM,
    "event_signup_confirmed": NotificationKind.EVENT,
    "event_signup_withdrawn": NotificationKind.EVENT,
    "event_reminder": NotificationKind.EVENT,
}


@dataclass(frozen=True)
class Recipient:
    """One person as the messages see them: where, how and in which language."""

    email: str
    mobile: str
    language: str
    by_email: bool
    by_sms: bool

    @property
    def reachable(self) -> bool:
        return bool((self.by_email and self.email) or (self.by_sms and self.mobile))


def preference_of(user: User, *, default_language: str) -> Recipient:
    """How one user wants to be told (e-mail in `default_language` if they never chose)."""
    try:
        preference: NotificationPreference | None = user.notification_preference
    except NotificationPreference.DoesNotExist:
        preference = None
    if preference is None:
        return Recipient(
            email=user.email,
            mobile="",
            language=default_language,
            by_email=True,
            by_sms=False,
        )
    return Recipient(
        email=user.email,
        mobile=preference.mobile if is_mobile(preference.mobile) else "",
        language=preference.language,
        by_email=preference.by_email,
        by_sms=preference.by_sms,
    )


def _members(sponsor: Sponsor, *, administrators: bool = False) -> list[User]:
    members = sponsor.members.current().select_related("user__notification_preference")
    if administrators:
        members = members.filter(role=MemberRole.ADMINISTRATOR)
    return [member.user for member in members.order_by("pk")]


def _sponsor_address(sponsor: Sponsor) -> Recipient:
    return Recipient(
        email=sponsor.email,
        mobile="",
        language=sponsor.language,
        by_email=True,
        by_sms=False,
    )


def recipients_of(sponsor: Sponsor) -> list[Recipient]:
    """The sponsor's people: its current members, and its own address if no member has it."""
    users = _members(sponsor)
    people = [preference_of(user, default_language=sponsor.language) for user in users]
    member_mail = {user.email.casefold() for user in users if user.email}
    if sponsor.email and sponsor.email.casefold() not in member_mail:
        people.append(_sponsor_address(sponsor))
    return people


def administrators_of(sponsor: Sponsor) -> list[Recipient]:
    """A unit's administrators; the sponsor's own address if none of them can be reached."""
    people = [
        preference_of(user, default_language=sponsor.language)
        for user in _members(sponsor, administrators=True)
    ]
    people = [person for person in people if person.reachable]
    return people or [_sponsor_address(sponsor)]


def deliver(
    people: Iterable[Recipient],
    *,
    message: str,
    context: Mapping,
    sms_params: Mapping[str, object] | None = None,
    screen: Screen | None = None,
    fallback_language: str = "",
) -> None:
    """Send the message to each person over their channels, after commit."""
    if message not in MESSAGES:
        raise ValueError(f"{message} is not a message to sponsors (sponsors.notifications)")
    people = list(people)
    mail_by_language: dict[str, set[str]] = {}
    texts: dict[str, str] = {}
    for person in people:
        if person.by_email and person.email:
            mail_by_language.setdefault(person.language, set()).add(person.email)
        if person.by_sms and person.mobile:
            texts.setdefault(person.mobile, person.language)
    params = {key: str(value) for key, value in (sms_params or {}).items()}
    sms = [
        make_message(phone=mobile, template=message, params=params, language=language)
        for mobile, language in sorted(texts.items())
    ]
    if screen is not None:
        # Every text is read before anything is queued: a refusal sends nothing.
        for text in sms:
            screen(text.text)
    if not mail_by_language:
        # Nobody reads it by e-mail: the guard still reads it (the pages say the same).
        language = fallback_language or (people[0].language if people else "")
        send_after_commit(
            to=[], template=message, context=dict(context), language=language, screen=screen
        )
    for language, addresses in sorted(mail_by_language.items()):
        send_after_commit(
            to=sorted(addresses),
            template=message,
            context=dict(context),
            language=language,
            screen=screen,
        )
    for text in sms:
        send_sms_after_commit(
            phone=text.phone, template=message, params=params, language=text.language
        )


def notify_sponsor(
    sponsor: Sponsor,
    *,
    message: str,
    context: Mapping,
    sms_params: Mapping[str, object] | None = None,
    screen: Screen | None = None,
) -> None:
    """Tell all of a sponsor's people (see the module's docstring)."""
    deliver(
        recipients_of(sponsor),
        message=message,
        context=context,
        sms_params=sms_params,
        screen=screen,
        fallback_language=sponsor.language,
    )


def notify_administrators(
    sponsor: Sponsor,
    *,
    message: str,
    context: Mapping,
    sms_params: Mapping[str, object] | None = None,
) -> None:
    """Tell a unit's administrators (its own address if none of them can be reached)."""
    deliver(
        administrators_of(sponsor),
        message=message,
        context=context,
        sms_params=sms_params,
        fallback_language=sponsor.language,
    )


def notify_user(
    user: User,
    *,
    sponsor: Sponsor,
    message: str,
    context: Mapping,
    sms_params: Mapping[str, object] | None = None,
) -> None:
    """Tell one person, over their channels (in `sponsor`'s language if they never chose)."""
    notify_users([user], sponsor=sponsor, message=message, context=context, sms_params=sms_params)


def notify_users(
    users: Iterable[User],
    *,
    sponsor: Sponsor,
    message: str,
    context: Mapping,
    sms_params: Mapping[str, object] | None = None,
    screen: Screen | None = None,
) -> None:
    """Tell a few people, each over their channels (in `sponsor`'s language if they never
    chose); a person listed twice is told once."""
    unique = list({user.pk: user for user in users}.values())
    deliver(
        [preference_of(user, default_language=sponsor.language) for user in unique],
        message=message,
        context=context,
        sms_params=sms_params,
        screen=screen,
        fallback_language=sponsor.language,
    )
