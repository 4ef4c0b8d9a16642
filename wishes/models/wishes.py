"""Campaigns and the wishes children write for them."""

from django.core.validators import MinValueValidator
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huamu.models import TimeStampedModel
from huamu.search import search_tokens
from wishes.models.children import Child


class Campaign(TimeStampedModel):
    """A yearly round of the programme (圆梦季)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    name = models.CharField(_("name"), max_length=80)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    note = models.TextField(_("note"), blank=True)
    sponsor_instructions = models.TextField(
        _("what sponsors do next"),
        blank=True,
        help_text=_(
            "Where and by when sponsors bring their gifts, and whom to call. Each sponsor reads "
            "it right after claiming a wish of this campaign, on the claim's page and in the "
            "confirmation e-mail."
        ),
    )
    drop_off_deadline = models.DateField(
        _("drop-off deadline"),
        null=True,
        blank=True,
        help_text=_(
            "The day by which sponsors bring their gifts to a drop-off point; an event may "
            "set its own."
        ),
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="campaign_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WishCategory(models.TextChoices):
    STUDY = "study", _("Study supplies")
    BOOKS = "books", _("Books")
    SPORTS = "sports", _("Sports")
    ARTS = "arts", _("Arts and music")
    ELECTRONICS = "electronics", _("Electronics")
    CLOTHING = "clothing", _("Clothing")
    DAILY = "daily", _("Daily necessities")
    EXPERIENCE = "experience", _("Visit or experience")
    OTHER = "other", _("Other")


class WishStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Waiting to be claimed")
    CLAIMED = "claimed", _("Claimed")
    FULFILLED = "fulfilled", _("Fulfilled")
    WITHDRAWN = "withdrawn", _("Withdrawn")


PUBLISHED_STATUSES = [WishStatus.OPEN, WishStatus.CLAIMED, WishStatus.FULFILLED]


# The fields whose text `Wish.search_text` holds as tokens.
SEARCHED_FIELDS = frozenset({"code", "public_text"})


class WishQuerySet(models.QuerySet):
    """Wishes; the bulk writes keep `search_text` in step with the code and public text."""

    def open(self) -> "WishQuerySet":
        return self.filter(status=WishStatus.OPEN)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for wish in objs:
            wish.search_text = wish.searchable_tokens()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        fields = list(fields)
        if SEARCHED_FIELDS & set(fields) and "search_text" not in fields:
            objs = list(objs)
            for wish in objs:
                wish.search_text = wish.searchable_tokens()
            fields.append("search_text")
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs) -> int:
        if not SEARCHED_FIELDS & kwargs.keys() or "search_text" in kwargs:
            return super().update(**kwargs)
        # The new values may be expressions: the tokens are made from what was written.
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            updated = super().update(**kwargs)
            refresh_search_text(Wish.objects.filter(pk__in=pks))
        return updated


def write_codes(wishes: "list[Wish]", *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Write these inserted wishes' codes (already set on them) and the search tokens that
    go with them: one UPDATE per 500 wishes, joined to the new values.

    `bulk_update` would build a CASE of every wish for each column, which costs seconds
    of Python for an import of thousands of rows. The join (a WITH of VALUES, then
    UPDATE … FROM) is understood by PostgreSQL and by SQLite 3.33 and later.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(Wish._meta.db_table)
    # The fields' own column names (none of them sets db_column).
    pk, code, tokens = (quote(name) for name in ("id", "code", "search_text"))
    for start in range(0, len(wishes), 500):
        chunk = wishes[start : start + 500]
        params: list[int | str] = []
        for wish in chunk:
            wish.search_text = wish.searchable_tokens()
            params += [wish.pk, wish.code, wish.search_text]
        values = ", ".join(["(%s, %s, %s)"] * len(chunk))
        sql = (
            # Only quoted names and placeholders are put in the text; the values are params.
            f"WITH new_code (id, code, tokens) AS (VALUES {values}) "  # noqa: S608
            f"UPDATE {table} SET {code} = new_code.code, {tokens} = new_code.tokens "
            f"FROM new_code WHERE {table}.{pk} = new_code.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def refresh_search_text(wishes: "models.QuerySet[Wish]") -> int:
    """Rewrite the search tokens of these wishes from their code and public text where they
    differ; how many were rewritten."""
    rows = wishes.order_by("pk").only("pk", "code", "public_text", "search_text")
    rewritten = 0
    for wish in rows.iterator(chunk_size=500):
        tokens = wish.searchable_tokens()
        if tokens != wish.search_text:
            Wish.objects.filter(pk=wish.pk).update(search_text=tokens)
            rewritten += 1
    return rewritten


class Wish(TimeStampedModel):
    """What a child asked for (心愿); the public sees only its redacted text."""

    code = models.CharField(_("wish code"), max_length=20, unique=True, blank=True)
    child = models.ForeignKey(
        Child, models.PROTECT, related_name="wishes", verbose_name=_("child")
    )
    campaign = models.ForeignKey(
        Campaign, models.PROTECT, related_name="wishes", verbose_name=_("campaign")
    )
    category = models.CharField(_("category"), max_length=16, choices=WishCategory)
    # Blank only once the child is anonymised; the admin form and the import require it.
    child_words = models.TextField(
        _("the child's own words"), blank=True, help_text=_("Private: as the child wrote it.")
    )
    public_text = models.TextField(
        _("public text"),
        blank=True,
        help_text=_(
            "What the public sees, with anything that names or locates the child removed."
        ),
    )
    estimated_value = models.DecimalField(
        _("estimated value (yuan)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    status = models.CharField(
        _("status"), max_length=16, choices=WishStatus, default=WishStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Public only: the code and public text as search tokens (huamu.search), written on
    # every save and bulk write, for the public and staff searches' index on PostgreSQL.
    search_text = models.TextField(_("search tokens"), blank=True, default="", editable=False)

    objects = WishQuerySet.as_manager()

    class Meta:
        verbose_name = _("wish")
        verbose_name_plural = _("wishes")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "published_at"], name="wish_status_published"),
            # The waiting wishes of one category, longest waiting first: the list filtered by
            # category and the similar wishes offered beside a wish.
            models.Index(
                fields=["status", "category", "published_at"],
                name="wish_status_category_published",
            ),
            # The back office's list, newest first (its default order): read from the top
            # of this index instead of sorting every wish.
            models.Index(fields=["created_at", "id"], name="wish_created"),
            # The impact page's waiting times join every counted claim to its wish's
            # publication: read from this index alone instead of every wish's row.
            models.Index(fields=["id", "published_at"], name="wish_published_by_id"),
            # The front page's counts by status and campaign (waiting, claimed, fulfilled),
            # and the children whose visibility the waiting count checks: counted from the
            # index, never from the wishes' rows.
            models.Index(
                fields=["status", "campaign", "child"], name="wish_status_campaign_child"
            ),
            # A school's wishes by status (the school pages' tabs, lists and to-dos): read
            # child by child from this index alone, without the wishes' rows.
            models.Index(fields=["child", "status", "id"], name="wish_child_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=WishStatus.values), name="wish_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=WishCategory.values), name="wish_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(estimated_value__gte=0), name="wish_value_not_negative"
            ),
            # A wish the public can see always has a reviewed public text and a date.
            models.CheckConstraint(
                condition=(
                    ~Q(status__in=PUBLISHED_STATUSES)
                    | (~Q(public_text="") & Q(published_at__isnull=False))
                ),
                name="wish_published_has_text_and_date",
            ),
        ]

    def __str__(self) -> str:
        return self.code or gettext("New wish")

    def get_absolute_url(self) -> str:
        return reverse("wishes:detail", args=[self.pk])

    def searchable_tokens(self) -> str:
        """What `search_text` holds: the tokens of the code and the public text, nothing else."""
        return search_tokens(self.code, self.public_text)

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        # A save of other fields only (a status change) leaves the tokens as they are.
        if update_fields is None or SEARCHED_FIELDS & set(update_fields):
            self.search_text = self.searchable_tokens()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)
        if not self.code:
            # The code is public and stable: campaign year plus the row number.
            self.code = f"HM{self.campaign.year}-{self.pk:05d}"
            self.search_text = self.searchable_tokens()
            Wish.objects.filter(pk=self.pk).update(code=self.code, search_text=self.search_text)
