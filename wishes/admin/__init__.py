"""The back office: children, wishes, claims, fulfilment, letters and the audit trail.

Staff see real names here. Nothing is deleted, and no form sets a `status`: every state
change is an admin action that calls a service, which records who did it and when.

A module per area registers its models; importing them here is what registers them when
Django's admin autodiscovers `wishes.admin`. The shared kit is `huamu.admin_kit`; the site
itself (header, front page dashboard) is `huamu.admin_site`.
"""

from huamu.admin_kit import (
    BOTH_PLACES,
    DomainAdmin,
    NoDeleteInline,
    ReadOnlyInline,
    ReasonForm,
    RefusalOnFormMixin,
    action_form_page,
    apply_to_each,
    submitted_form,
)
from wishes.admin.children import ChildAdmin, ConsentAdmin, ConsentInline, WishOfChildInline
from wishes.admin.claims import ClaimAdmin, FulfilmentForm, OfflineClaimForm, OverdueClaimFilter
from wishes.admin.events import EventAdmin, FulfilmentOfEventInline
from wishes.admin.feedback import FeedbackAdmin, FeedbackInline
from wishes.admin.fulfilment import FulfilmentAdmin, FulfilmentPhotoAdmin, PublishConsentFilter
from wishes.admin.handover import (
    DropOffPointAdmin,
    GiftReceiptAdmin,
    HandoverReminderAdmin,
    MissingGiftAdmin,
)
from wishes.admin.history import StatusChangeInline
from wishes.admin.letters import LetterAddForm, ThankYouLetterAdmin
from wishes.admin.places import CampaignAdmin, RegionAdmin, SchoolAdmin, SchoolCoordinatorAdmin
from wishes.admin.records import (
    AccessLogAdmin,
    DownloadAdmin,
    ImportBatchAdmin,
    ScheduledRunAdmin,
    StatusChangeAdmin,
    TallyAdmin,
    YearTotalAdmin,
)
from wishes.admin.wishes import ClaimOfWishInline, WishAdmin

__all__ = [
    "BOTH_PLACES",
    "AccessLogAdmin",
    "CampaignAdmin",
    "FeedbackAdmin",
    "FeedbackInline",
    "ChildAdmin",
    "ClaimAdmin",
    "ClaimOfWishInline",
    "ConsentAdmin",
    "ConsentInline",
    "DomainAdmin",
    "DropOffPointAdmin",
    "EventAdmin",
    "FulfilmentAdmin",
    "FulfilmentForm",
    "FulfilmentOfEventInline",
    "FulfilmentPhotoAdmin",
    "GiftReceiptAdmin",
    "HandoverReminderAdmin",
    "DownloadAdmin",
    "ImportBatchAdmin",
    "ScheduledRunAdmin",
    "TallyAdmin",
    "LetterAddForm",
    "MissingGiftAdmin",
    "NoDeleteInline",
    "OfflineClaimForm",
    "OverdueClaimFilter",
    "PublishConsentFilter",
    "ReadOnlyInline",
    "ReasonForm",
    "RefusalOnFormMixin",
    "RegionAdmin",
    "SchoolAdmin",
    "SchoolCoordinatorAdmin",
    "StatusChangeAdmin",
    "StatusChangeInline",
    "ThankYouLetterAdmin",
    "WishAdmin",
    "WishOfChildInline",
    "YearTotalAdmin",
    "action_form_page",
    "apply_to_each",
    "submitted_form",
]
