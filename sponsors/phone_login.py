"""Logging in and signing up with a mobile number and a text-message code.

A code has 6 digits, is valid for 5 minutes and allows 5 tries; a number gets at most one
code a minute and 10 a day, and one client address at most `CODES_PER_ADDRESS_PER_HOUR`.
Only a keyed hash of each code is stored (HMAC with SECRET_KEY): a copy of the database
alone does not give the codes away.

Whether a number belongs to an account is never said to whoever types it: every number
that can receive texts gets the same code message and the page the same answer. Only the
number's owner, once the code is entered, learns whether it logs in (an account) or goes on
to sign up by phone (no account yet).
"""

import datetime
import secrets

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from huamu.errors import TransitionError
from huamu.phones import mask_phone
from huamu.roles import sees_private_data
from huamu.sms import SmsError, send_sms
from sponsors.models import PhoneCode, PhoneState, VerifiedPhone
from wishes.audit import record_change

CODE_DIGITS = 6
CODE_VALID_FOR = datetime.timedelta(minutes=5)
TRIES_PER_CODE = 5
ONE_CODE_EVERY = datetime.timedelta(minutes=1)
CODES_PER_NUMBER_PER_DAY = 10
# An office or a school shares one address behind its router; a script does not get far.
CODES_PER_ADDRESS_PER_HOUR = 20

_HMAC_SALT = "sponsors.phone_login.code"


def hash_code(*, phone: str, code: str) -> str:
    """The stored form of a code sent to `phone`."""
    return salted_hmac(_HMAC_SALT, f"{phone}:{code}", algorithm="sha256").hexdigest()


def send_login_code(*, phone: str, ip_address: str | None, language: str = "") -> None:
    """Text a new code to a mobile number (stored form); TransitionError when a limit is
    reached or the text could not be sent. The same for numbers with and without account."""
    now = timezone.now()
    with transaction.atomic():
        sent = PhoneCode.objects.filter(phone=phone)
        # Locking the number's last code serialises requests for it, so that two at once
        # cannot both pass the limits (SQLite's immediate transactions do so anyway).
        sent.select_for_update().order_by("-created_at").first()
        if sent.filter(created_at__gt=now - ONE_CODE_EVERY).exists():
            raise TransitionError(
                _("A code was sent to this number less than a minute ago; wait a minute.")
            )
        if (
            sent.filter(created_at__gt=now - datetime.timedelta(days=1)).count()
            >= CODES_PER_NUMBER_PER_DAY
        ):
            raise TransitionError(
                _("This number has had the most codes allowed in a day; try again tomorrow.")
            )
        recent = PhoneCode.objects.filter(
            ip_address=ip_address, created_at__gt=now - datetime.timedelta(hours=1)
        )
        if recent.count() >= CODES_PER_ADDRESS_PER_HOUR:
            raise TransitionError(
                _("Too many codes were asked for from your network; try again in an hour.")
            )
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        row = PhoneCode.objects.create(
            phone=phone,
            code_hash=hash_code(phone=phone, code=code),
            created_at=now,
            expires_at=now + CODE_VALID_FOR,
            ip_address=ip_address,
        )
    try:
        send_sms(
            phone=phone,
            template="login_code",
            params={"code": code, "minutes": str(int(CODE_VALID_FOR.total_seconds() // 60))},
            language=language,
        )
    except SmsError:
        # Not sent: it should not count against the person's limits.
        row.delete()
        raise TransitionError(
            _("Sorry, we could not send the text message just now; please try again later.")
        ) from None


def check_login_code(*, phone: str, code: str) -> None:
    """Accept the newest code sent to `phone`, once; TransitionError otherwise (expired,
    wrong, already used, or tried too often: the sixth try is refused even when right)."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            PhoneCode.objects.select_for_update()
            .filter(phone=phone)
            .order_by("-created_at", "-pk")
            .first()
        )
        if row is None or row.used_at is not None:
            raise TransitionError(_("Ask for a code first."))
        if row.expires_at <= now:
            raise TransitionError(_("This code has expired; ask for a new one."))
        if row.tries >= TRIES_PER_CODE:
            raise TransitionError(_("Too many wrong codes; ask for a new one."))
        row.tries += 1
        right = constant_time_compare(row.code_hash, hash_code(phone=phone, code=code))
        if right:
            row.used_at = now
        row.save(update_fields=["tries", "used_at"])
    if not right:
        left = TRIES_PER_CODE - row.tries
        if left <= 0:
            raise TransitionError(_("Too many wrong codes; ask for a new one."))
        raise TransitionError(
            ngettext(
                "The code is not right; %(left)d try left.",
                "The code is not right; %(left)d tries left.",
                left,
            )
            % {"left": left}
        )


def user_with_phone(phone: str) -> User | None:
    """The active account that logs in with this number, if any.

    Staff and school coordinators see children's private data: a text message alone (a
    lost or re-issued SIM) does not open their account; they log in with their password."""
    found = VerifiedPhone.objects.select_related("user").filter(phone=phone).first()
    if found is None or not found.user.is_active or sees_private_data(found.user):
        return None
    return found.user


def link_phone(*, user: User, phone: str, by: User | None = None) -> VerifiedPhone:
    """Make a proved number the login phone of `user` (replacing theirs), recorded in the
    audit trail; TransitionError when it already logs in to another account, or the account
    sees children's data. Nothing changes on a refusal."""
    if sees_private_data(user):
        raise TransitionError(
            _("Accounts that see children's data log in with their password only.")
        )
    try:
        with transaction.atomic():
            current = VerifiedPhone.objects.select_for_update().filter(user=user).first()
            if current is not None and current.phone == phone:
                return current
            before = current.phone if current is not None else ""
            verified, _created = VerifiedPhone.objects.update_or_create(
                user=user, defaults={"phone": phone}
            )
            record_change(
                subject=verified,
                from_status=PhoneState.SET if before else "",
                to_status=PhoneState.SET,
                by=by or user,
                note=f"{mask_phone(before) if before else '—'} → {mask_phone(phone)}",
            )
    except IntegrityError:
        raise TransitionError(_("This number already logs in to another account.")) from None
    return verified
