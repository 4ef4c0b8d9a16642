"""The intake page: a child, the guardian's consent and the child's first wish, the paper
intake form in one screen.

The three parts are validated together and saved in one transaction, or nothing is saved:
the child as ChildAdmin saves it (a neutral alias when none is given, the privacy guard on
the alias), the consent as the consent inline does (collected by the user, its scan stored
by attach_signed_form), the wish as WishAdmin does (a draft, its public text drafted from the
child's words when left empty, or checked by the privacy guard when typed in). Each record
starts its audit trail as the admin's forms start it.
"""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from huamu.errors import TransitionError
from wishes.admin.children import CONSENT_SCOPES, ConsentForm, attach_uploaded_form
from wishes.audit import record_change
from wishes.models import Campaign, Child, Consent, Wish
from wishes.privacy.admin_forms import GuardedChildForm
from wishes.privacy.guard import PUBLIC_TEXT, check_text
from wishes.privacy.redaction import redact_for_child

# The admin's fieldsets: (heading, {"fields": [...], "description": ...}).
Sections = list[tuple[Any, dict[str, Any]]]

CHILD_SECTIONS: Sections = [
    (
        _("The child"),
        {"fields": ["real_name", "alias", "gender", "birth_year", "grade", "class_name"]},
    ),
    (_("School and home"), {"fields": ["school", "home_region", "address"]}),
    (_("Guardian"), {"fields": ["guardian_name", "guardian_phone"]}),
    (_("Hardship"), {"fields": ["hardship_category", "hardship_note"]}),
    (_("Privacy"), {"fields": ["public_location", "private_words"]}),
]
CONSENT_SECTIONS: Sections = [
    (
        _("The guardian's consent"),
        {"fields": ["method", "given_on", "valid_until", "given_by", "signed_form_upload"]},
    ),
    (_("What the guardian agreed to"), {"fields": list(CONSENT_SCOPES)}),
]
WISH_SECTIONS: Sections = [
    (
        _("The first wish"),
        {
            "fields": [
                "campaign",
                "category",
                "estimated_value",
                "child_words",
                "public_text",
            ],
            "description": _(
                "Leave the public text empty to get a first draft made from the child's "
                "words with names, places and numbers masked. The wish stays a draft until "
                "staff publish it."
            ),
        },
    ),
]


class IntakeChildForm(GuardedChildForm):
    """The child, as on its admin page; the home region defaults to the school's."""

    class Meta(GuardedChildForm.Meta):
        fields = [field for _name, section in CHILD_SECTIONS for field in section["fields"]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["home_region"].required = False
        self.fields["home_region"].help_text = _("Left empty, the region of the school.")

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        if not cleaned.get("home_region") and cleaned.get("school"):
            cleaned["home_region"] = cleaned["school"].region
        return cleaned


class IntakeConsentForm(ConsentForm):
    """The consent, as the child page's inline records it; given by the guardian above
    unless another name is typed."""

    class Meta(ConsentForm.Meta):
        fields = [name for name in ConsentForm.Meta.fields if name != "child"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_by"].required = False
        self.fields["given_by"].help_text = _("Left empty, the guardian named above.")


class IntakeWishForm(forms.ModelForm):
    class Meta:
        model = Wish
        fields = ["campaign", "category", "estimated_value", "child_words", "public_text"]
        widgets = {
            "child_words": forms.Textarea(attrs={"rows": 5, "cols": 60}),
            "public_text": forms.Textarea(attrs={"rows": 5, "cols": 60}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["child_words"].required = True
        current = Campaign.objects.order_by("-year").first()
        if current is not None:
            self.fields["campaign"].initial = current.pk


def _admin_widgets(request: HttpRequest, model: type[models.Model]):
    """The widgets the model's own admin page uses (autocomplete, date pickers)."""
    model_admin = admin.site._registry[model]

    def callback(db_field, **kwargs):
        return model_admin.formfield_for_dbfield(db_field, request, **kwargs)

    return callback


def _forms(request: HttpRequest) -> dict[str, forms.ModelForm]:
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    made = {}
    for prefix, form_class, model in (
        ("child", IntakeChildForm, Child),
        ("consent", IntakeConsentForm, Consent),
        ("wish", IntakeWishForm, Wish),
    ):
        with_widgets = forms.modelform_factory(
            model, form=form_class, formfield_callback=_admin_widgets(request, model)
        )
        made[prefix] = with_widgets(data, files, prefix=prefix)
    return made


def _validate(parts: dict[str, forms.ModelForm]) -> bool:
    """Validate the three parts together; the typed public text must name nobody."""
    # Every part is validated, so that the summary lists all errors at once.
    results = [form.is_valid() for form in parts.values()]
    if not all(results):
        return False
    text = parts["wish"].cleaned_data.get("public_text", "").strip()
    if text:
        # The child is not saved yet: its form's instance holds what the guard reads.
        try:
            check_text(text, child=parts["child"].instance, what=PUBLIC_TEXT)
        except TransitionError as refusal:
            parts["wish"].add_error("public_text", ValidationError(refusal.as_html()))
            return False
    return True


@transaction.atomic
def _save(parts: dict[str, forms.ModelForm], by: User) -> Child:
    """Save the child, its consent and its first wish, each with its first audit row."""
    child = cast(Child, parts["child"].save())
    record_change(subject=child, from_status="", to_status=child.state, by=by)
    consent = cast(Consent, parts["consent"].save(commit=False))
    consent.child = child
    consent.collected_by = by
    consent.given_by = consent.given_by.strip() or child.guardian_name
    consent.save()
    record_change(subject=consent, from_status="", to_status=consent.state, by=by)
    attach_uploaded_form(cast(forms.Form, parts["consent"]), consent, by)
    wish = cast(Wish, parts["wish"].save(commit=False))
    wish.child = child
    if not wish.public_text.strip():
        wish.public_text = redact_for_child(wish.child_words, child)
    wish.save()
    record_change(subject=wish, from_status="", to_status=wish.status, by=by)
    return child


def _error_summary(parts: dict[str, forms.ModelForm]) -> list[dict[str, str]]:
    """Every error of the three parts, each linking to its field, for the top of the page."""
    summary = []
    for form in parts.values():
        for name, errors in form.errors.items():
            field = form.fields.get(name) if name != NON_FIELD_ERRORS else None
            anchor = form[name].id_for_label if field is not None else ""
            label = str(field.label) if field is not None else ""
            for message in errors:
                summary.append({"anchor": anchor, "label": label, "message": str(message)})
    return summary


def may_take_intake(request: HttpRequest) -> bool:
    """Whether the user may add children, consents and wishes: what the page records."""
    return all(
        admin.site._registry[model].has_add_permission(request) for model in (Child, Consent, Wish)
    )


@require_http_methods(["GET", "HEAD", "POST"])
def intake_view(request: HttpRequest) -> HttpResponse:
    """The paper intake form in one screen: child, consent and first wish, all or nothing."""
    if not may_take_intake(request):
        raise PermissionDenied
    parts = _forms(request)
    if request.method == "POST" and _validate(parts):
        try:
            child = _save(parts, cast(User, request.user))
        except TransitionError as refusal:
            # The transaction rolled back: nothing of the three is kept.
            parts["child"].add_error(None, ValidationError(refusal.as_html()))
        else:
            messages.success(
                request,
                gettext(
                    "%(child)s is recorded with the guardian's consent and a draft wish. "
                    "Check the wish's public text, then publish it."
                )
                % {"child": child},
            )
            return redirect(reverse("admin:wishes_child_change", args=[child.pk]))
    return _page(request, parts)


def _page(request: HttpRequest, parts: dict[str, forms.ModelForm]) -> TemplateResponse:
    site = admin.site
    sections = (("child", CHILD_SECTIONS), ("consent", CONSENT_SECTIONS), ("wish", WISH_SECTIONS))
    admin_forms = [
        helpers.AdminForm(
            parts[prefix],
            fieldsets,
            {},
            model_admin=site._registry[parts[prefix]._meta.model],
        )
        for prefix, fieldsets in sections
    ]
    media = forms.Media()
    for form in parts.values():
        media += form.media
    context = {
        **site.each_context(request),
        "title": gettext("Intake: a child, the consent and the first wish"),
        "subtitle": None,
        "opts": Child._meta,
        "admin_forms": admin_forms,
        "error_summary": _error_summary(parts),
        "media": site._registry[Child].media + media,
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/wishes/child/intake.html", context)
