"""The back office's shared kit: base classes, inlines, forms and action helpers that every
app's admin builds on (wishes and sponsors alike).

Nothing here knows a domain model: no record is deleted (DomainAdmin and the inlines), a
service's refusal shows on the form or as a message instead of a server error, and an action
that needs input asks for it on an intermediate page like Django's delete confirmation.
"""

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huamu.errors import TransitionError

if TYPE_CHECKING:  # only for the type checker: a str or a lazily translated one
    from django_stubs_ext import StrOrPromise

# Actions run from the list of records and from a record's own page.
BOTH_PLACES = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


class DomainAdmin(admin.ModelAdmin):
    """Base of every back-office model: nothing is deleted, history shows on change pages."""

    # Staff read the lists on phones too, and every row costs its render.
    list_per_page = 50

    def action_checkbox(self, obj: models.Model) -> SafeString:
        # Django renders each row's box through the form widget templates: on a list of
        # wishes that was half the page's time. The very same markup, written directly.
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    # Records are withdrawn or cancelled, never deleted; this also hides "delete selected".
    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_inline_instances(self, request: HttpRequest, obj=None) -> list:
        inlines = super().get_inline_instances(request, obj)
        if obj is None:
            # A record being added has no related rows or history yet.
            return [i for i in inlines if not getattr(i, "only_on_change", False)]
        return inlines


class ReadOnlyAdmin(DomainAdmin):
    """A back-office model whose rows only the services and the users' own pages write:
    staff look, nobody adds, changes or deletes a row here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class _SavingRequest(HttpRequest):
    """For the type checker: the marks RefusalOnFormMixin leaves on the request it handles."""

    huamu_saving_form: bool
    huamu_refusal: TransitionError


class RefusalOnFormMixin(admin.ModelAdmin):
    """For an admin whose add or change form saves through a service that may refuse.

    A TransitionError raised while saving (save_model, save_related, response_add/change)
    would be a server error. Instead the form shows again with the user's input and the
    refusal as its error, and nothing of the save is kept. Put it before DomainAdmin.
    """

    def changeform_view(
        self, request: HttpRequest, object_id=None, form_url="", extra_context=None
    ):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except TransitionError as refusal:
            # Only a refusal of the save itself; e.g. an action run from the page is not ours.
            if not getattr(request, "huamu_saving_form", False):
                raise
            # It has left Django's atomic block, which rolled back every row of the save; the
            # services delete the files they stored.
            cast(_SavingRequest, request).huamu_refusal = refusal
        # The same input once more: the refusal makes the form invalid, so the admin shows it
        # as for any invalid input, and saves nothing.
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_form(self, request: HttpRequest, form, change: bool):
        # Called once the form is valid, right before save_model: from here on it is the save.
        cast(_SavingRequest, request).huamu_saving_form = True
        return super().save_form(request, form, change)

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal: TransitionError | None = getattr(request, "huamu_refusal", None)
        if refusal is None:
            return form_class
        message = refusal.as_html()

        # A subclass of the form Django has just built; mypy takes no variable as a base.
        class RefusedForm(form_class):  # type: ignore[valid-type, misc]
            def clean(self) -> dict:
                data = super().clean()
                self.add_error(None, message)
                return data

        return RefusedForm


class NoDeleteInline(admin.TabularInline):
    extra = 0

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyInline(NoDeleteInline):
    """Shows related rows; they are created and changed elsewhere (services, own pages)."""

    show_change_link = True
    only_on_change = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def apply_to_each[M: models.Model, R](
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[M],
    change: Callable[[M], R],
    done: str | Callable[[R], str],
) -> None:
    """Run `change` on every object and report each success or refusal; none stops the rest.

    `done` is the success message with %(object)s, or makes it from what `change` returned.
    """
    for obj in objects:
        label = str(obj)
        try:
            result = change(obj)
        except TransitionError as error:
            modeladmin.message_user(
                request,
                # The translated pattern around the escaped label and the marked-up refusal.
                mark_safe(  # noqa: S308
                    gettext("%(object)s: %(error)s")
                    % {"object": escape(label), "error": error.as_html()}
                ),
                messages.ERROR,
            )
        else:
            text = done(result) if callable(done) else done % {"object": label}
            modeladmin.message_user(request, text, messages.SUCCESS)


def submitted_form(request: HttpRequest, form_class: type[forms.Form], **kwargs) -> forms.Form:
    """The action's form, bound only once the intermediate page has been submitted."""
    data = request.POST if "apply" in request.POST else None
    return form_class(data, **kwargs)


def ask_reason_then_apply(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: models.QuerySet,
    *,
    help_text: "StrOrPromise",
    change: Callable[[models.Model, str], object],
    done: str,
    **page,
) -> TemplateResponse | None:
    """An action that asks for a reason on an intermediate page, then changes each object."""
    form = submitted_form(request, ReasonForm, help_text=help_text)
    if not form.is_valid():
        return action_form_page(modeladmin, request, queryset, form=form, **page)
    reason = form.cleaned_data["reason"]
    apply_to_each(modeladmin, request, queryset, lambda obj: change(obj, reason), done)
    return None


def action_form_page(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: models.QuerySet,
    *,
    action: str,
    form: forms.Form,
    title: str,
    intro: str,
    submit_label: str,
) -> TemplateResponse:
    """An intermediate page, like Django's delete confirmation, asking for the action's input."""
    change_form_field = f"{ActionLocation.CHANGE_FORM.value}-action"
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "intro": intro,
        "submit_label": submit_label,
        "opts": opts,
        "queryset": queryset,
        "adminform": helpers.AdminForm(
            # A plain form works as for Django's own password page; the stubs ask a ModelForm.
            form,  # type: ignore[arg-type]
            [(None, {"fields": list(form.fields)})],
            {},
            model_admin=modeladmin,
        ),
        "media": modeladmin.media + form.media,
        "action_name": action,
        # From a record's own page the action comes back through its change view.
        "action_field": change_form_field if change_form_field in request.POST else "action",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "back_url": request.get_full_path(),
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/huamu_action_form.html", context)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4, "cols": 60})
    )

    def __init__(self, *args: Any, help_text: "StrOrPromise" = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = help_text


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))

    def __init__(self, *args: Any, help_text: "StrOrPromise" = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].help_text = help_text


def date_input() -> forms.DateInput:
    """The browser's date picker, sending dates as the form expects them (YYYY-MM-DD)."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
