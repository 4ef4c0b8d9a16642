"""Every state change of a wish, claim, fulfilment, letter and consent: lock, check, change,
record in the audit trail, then mail.

One module per area; callers import the services from here.
"""

from wishes.services.claims import (
    active_claim_limit,
    cancel_claim,
    claim_wish,
    claim_wishes,
    reassign_claim,
    release_claims_of_sponsor,
)
from wishes.services.consents import (
    attach_signed_form,
    letter_sharing_consented,
    publish_photos_consented,
    withdraw_consent,
)
from wishes.services.events import (
    NamedAttendee,
    check_in_attendee,
    event_reminder_days,
    events_concerning,
    send_event_reminders,
    sign_up_for_event,
    undo_check_in,
    upcoming_events_for,
    withdraw_signup,
)
from wishes.services.feedback import give_feedback, may_give_feedback
from wishes.services.fulfilment import (
    add_fulfilment_photos,
    record_fulfilment,
    record_fulfilments,
    set_photo_publication,
    withdraw_photo,
)
from wishes.services.handover import may_receive_gift, receive_gift, release_missing_gift
from wishes.services.letters import (
    WATERMARK,
    approve_letter,
    cover_letter_areas,
    reject_letter,
    sponsor_copy_of,
    upload_letter,
)
from wishes.services.lifecycle import (
    anonymise_child,
    anonymise_expired,
    delete_history,
    erase_child,
    expired_children,
    reapply_erasures,
)
from wishes.services.locks import lock_claim, lock_wish, lock_wish_and_claim
from wishes.services.wishes import may_be_public, publish_wish, withdraw_wish

__all__ = [
    "NamedAttendee",
    "check_in_attendee",
    "event_reminder_days",
    "events_concerning",
    "send_event_reminders",
    "sign_up_for_event",
    "undo_check_in",
    "upcoming_events_for",
    "withdraw_signup",
    "WATERMARK",
    "active_claim_limit",
    "add_fulfilment_photos",
    "anonymise_child",
    "anonymise_expired",
    "approve_letter",
    "attach_signed_form",
    "cancel_claim",
    "claim_wish",
    "claim_wishes",
    "cover_letter_areas",
    "delete_history",
    "erase_child",
    "expired_children",
    "give_feedback",
    "letter_sharing_consented",
    "lock_claim",
    "may_give_feedback",
    "lock_wish",
    "lock_wish_and_claim",
    "may_receive_gift",
    "may_be_public",
    "publish_photos_consented",
    "publish_wish",
    "reapply_erasures",
    "reassign_claim",
    "receive_gift",
    "record_fulfilment",
    "record_fulfilments",
    "reject_letter",
    "sponsor_copy_of",
    "release_claims_of_sponsor",
    "release_missing_gift",
    "set_photo_publication",
    "upload_letter",
    "withdraw_consent",
    "withdraw_photo",
    "withdraw_wish",
]
