"""Feedback (评单): after a wish came true, its sponsor and the school's coordinator rate it."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huamu.models import TimeStampedModel
from wishes.models.claims import Claim

MIN_RATING = 1
MAX_RATING = 5
COMMENT_MAX_LENGTH = 500


class FeedbackRole(models.TextChoices):
    SPONSOR = "sponsor", _("Sponsor")
    COORDINATOR = "coordinator", _("School coordinator")


class FeedbackState(models.TextChoices):
    """The one state the audit trail records (feedback is given once and never changes)."""

    GIVEN = "given", _("Given")


class Feedback(TimeStampedModel):
    """A rating (1–5) and a short comment on a fulfilled claim, once per claim and role.

    The comment is free text that may speak of the child: it is shown to staff only, never
    on a public page; the impact page shows the average rating and the count.
    """

    claim = models.ForeignKey(
        Claim, models.PROTECT, related_name="feedback", verbose_name=_("claim")
    )
    role = models.CharField(_("given as"), max_length=16, choices=FeedbackRole)
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(MIN_RATING), MaxValueValidator(MAX_RATING)]
    )
    comment = models.CharField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("given by")
    )

    audit_states = FeedbackState

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "role"], name="feedback_once_per_role"),
            models.CheckConstraint(
                condition=Q(role__in=FeedbackRole.values), name="feedback_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=MIN_RATING, rating__lte=MAX_RATING),
                name="feedback_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim} · {self.get_role_display()} · {self.rating}"
