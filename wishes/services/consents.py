"""The guardian's consent: while one is in force a wish and photos may be public; withdrawing
it takes them off every public page in the same transaction."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.documents import CleanDocument
from huamu.errors import TransitionError
from huamu.storage import files_removed_on_error, store_file
from wishes.audit import record_change
from wishes.models import Consent, ConsentState, FulfilmentPhoto, PhotoState


def publish_photos_consented(child_id: int) -> bool:
    """Whether a consent in force lets photos of the child be published."""
    return (
        Consent.objects.in_force()
        .filter(child_id=child_id, keep_record=True, publish_photos=True)
        .exists()
    )


def letter_sharing_consented(child_id: int) -> bool:
    """Whether a consent in force lets the child's thank-you letters reach the sponsor."""
    return (
        Consent.objects.in_force()
        .filter(child_id=child_id, keep_record=True, share_letter_with_sponsor=True)
        .exists()
    )


@transaction.atomic
def withdraw_consent(*, consent_id: int, by: User, note: str = "") -> Consent:
    """Record that a guardian withdrew consent; the child's wish and photos leave public pages.

    Public pages show a wish or photo only while a consent is in force, so the wish goes in
    this same transaction; the photos are also un-cleared, so a later consent needs staff to
    clear them again.
    """
    consent = Consent.objects.select_for_update().get(pk=consent_id)
    if consent.withdrawn_at is not None:
        raise TransitionError(_("This consent has already been withdrawn."))
    previous = consent.state
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at", "updated_at"])
    record_change(
        subject=consent,
        from_status=previous,
        to_status=ConsentState.WITHDRAWN,
        by=by,
        note=note,
    )
    if not publish_photos_consented(consent.child_id):
        photos = FulfilmentPhoto.objects.select_for_update().filter(
            fulfilment__claim__wish__child_id=consent.child_id, is_public=True
        )
        for photo in photos:
            photo.is_public = False
            photo.save(update_fields=["is_public", "updated_at"])
            record_change(
                subject=photo,
                from_status=PhotoState.PUBLIC,
                to_status=PhotoState.PRIVATE,
                by=by,
                note=note,
            )
    return consent


def attach_signed_form(*, consent_id: int, by: User, scan: CleanDocument) -> Consent:
    """Keep the scan of the paper form the guardian signed with the consent (staff only see
    it); a scan attached before is replaced, and its file removed once this commits."""
    with files_removed_on_error() as saved, transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent_id)
        replaced = consent.signed_form.name if consent.signed_form else ""
        store_file(consent.signed_form, f"form.{scan.extension}", scan.content, saved)
        consent.save(update_fields=["signed_form", "updated_at"])
        note = _("Signed form replaced.") if replaced else _("Signed form attached.")
        record_change(
            subject=consent,
            from_status=consent.state,
            to_status=consent.state,
            by=by,
            note=note,
        )
        if replaced:
            storage = consent.signed_form.storage
            transaction.on_commit(lambda: storage.delete(replaced), robust=True)
        return consent
