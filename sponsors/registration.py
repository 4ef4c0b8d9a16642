"""Sponsor sign-up: a user account, its pending sponsor and the link between them."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from huamu.mail import notify_staff
from sponsors.models import (
    MemberRole,
    NotificationChannel,
    Sponsor,
    SponsorMember,
    VerificationStatus,
)
from sponsors.phone_login import link_phone
from sponsors.teams import request_to_join
from wishes.audit import record_change
from wishes.models import Region


@transaction.atomic
def register_sponsor(
    *,
    kind: str,
    name: str,
    unit_category: str,
    region: Region | None,
    contact_name: str,
    phone: str,
    email: str,
    username: str = "",
    password: str | None = None,
    language: str,
    return_to: str = "",
    login_phone: str = "",
) -> User:
    """Create a user, its pending sponsor and membership, all or nothing; tell staff.

    Signing up by phone gives `login_phone` (a number just proved by a code) instead of a
    username and password: the account gets a username nobody types and no password."""
    username = username or _phone_username()
    try:
        # A savepoint, so that a username taken a moment ago leaves nothing half-written.
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                username=username, email=email, password=password
            )
    except IntegrityError:
        raise TransitionError(
            _("The username %(username)s is already taken; choose another one.")
            % {"username": username}
        ) from None
    sponsor = Sponsor.objects.create(
        kind=kind,
        name=name,
        unit_category=unit_category,
        region=region,
        contact_name=contact_name,
        phone=phone,
        email=email,
        language=language,
        return_to=return_to,
        status=VerificationStatus.PENDING,
    )
    # Whoever signs the unit up manages its team; their name is what colleagues see.
    user.first_name = contact_name[: user._meta.get_field("first_name").max_length]
    user.save(update_fields=["first_name"])
    if login_phone:
        _link_and_text(user, login_phone, email=email, language=language)
    member = SponsorMember.objects.create(
        user=user, sponsor=sponsor, role=MemberRole.ADMINISTRATOR
    )
    record_change(subject=sponsor, from_status="", to_status=VerificationStatus.PENDING, by=user)
    record_change(subject=member, from_status="", to_status=MemberRole.ADMINISTRATOR, by=user)
    notify_staff(template="sponsor_registered", context={"sponsor": sponsor})
    return user


def _link_and_text(user: User, phone: str, *, email: str, language: str) -> None:
    """A number proved by a code logs in, and is told by text message from the start (with
    e-mail too when one was given): someone who signs up by phone lives on their phone."""
    from sponsors.services import set_notification_preference

    link_phone(user=user, phone=phone)
    languages = dict(settings.LANGUAGES)
    set_notification_preference(
        user=user,
        channel=NotificationChannel.BOTH if email else NotificationChannel.SMS,
        language=language if language in languages else settings.LANGUAGE_CODE,
        mobile=phone,
        by=user,
    )


def _phone_username() -> str:
    """A username for an account that logs in by phone; it does not show the number."""
    return f"phone-{secrets.token_hex(6)}"


@transaction.atomic
def register_colleague(
    *,
    token: str,
    name: str,
    username: str = "",
    email: str,
    password: str | None = None,
    login_phone: str = "",
) -> User:
    """Create the account of a colleague invited to a unit, and send their join request;
    a refused invitation leaves no account behind. With `login_phone` (proved by a code)
    instead of username and password, the colleague logs in by phone."""
    username = username or _phone_username()
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                username=username, email=email, password=password, first_name=name.strip()
            )
    except IntegrityError:
        raise TransitionError(
            _("The username %(username)s is already taken; choose another one.")
            % {"username": username}
        ) from None
    if login_phone:
        _link_and_text(user, login_phone, email=email, language=get_language() or "")
    request_to_join(token=token, user=user)
    return user
