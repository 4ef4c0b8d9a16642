"""Buttons on a record's change page (publish, withdraw, approve…) for the admin actions
that apply to it, so that staff need not select the record and pick from the action menu.

A button posts to a small view that runs the very same admin action on that one record:
the same service, the same permission check (an action the user may not run is a 403),
the same intermediate page when the action asks for a reason, the same success or refusal
message; then it goes back to the record's page.
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

if TYPE_CHECKING:  # only for the type checker: a str or a lazily translated one
    from django_stubs_ext import StrOrPromise


class Button:
    """One button: the admin action it runs, its label, and when the record offers it."""

    def __init__(
        self,
        action: str,
        label: "StrOrPromise",
        *,
        shown: Callable[[Any], bool] = lambda obj: True,
        danger: bool = False,
    ) -> None:
        self.action = action
        self.label = label
        self.shown = shown
        self.danger = danger


class ChangePageButtonsMixin(admin.ModelAdmin):
    """Put before DomainAdmin; list the buttons in `change_page_buttons`."""

    change_page_buttons: Sequence[Button] = ()

    def _button_url_name(self) -> str:
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_button"

    def get_urls(self) -> list:
        button = path(
            "<path:object_id>/run/<str:action>/",
            self.admin_site.admin_view(
                require_http_methods(["GET", "HEAD", "POST"])(self.button_view)
            ),
            name=self._button_url_name(),
        )
        return [button, *super().get_urls()]

    def buttons_for(self, request: HttpRequest, obj: models.Model) -> list[dict[str, Any]]:
        """The buttons of a record the user may press, with the URL each posts to."""
        if not self.has_change_permission(request, obj):
            return []
        allowed = self.get_actions(request, action_location=ActionLocation.CHANGE_FORM)
        name = f"{self.admin_site.name}:{self._button_url_name()}"
        return [
            {
                "label": button.label,
                "url": reverse(name, args=[obj.pk, button.action]),
                "danger": button.danger,
            }
            for button in self.change_page_buttons
            if button.action in allowed and button.shown(obj)
        ]

    def render_change_form(
        self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None
    ):
        buttons = self.buttons_for(request, obj) if obj is not None and change else []
        context = {**context, "change_page_buttons": buttons}
        return super().render_change_form(request, context, add, change, form_url, obj)

    def button_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponseBase:
        """Run one admin action on one record, then go back to the record's page."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None or action not in {button.action for button in self.change_page_buttons}:
            raise Http404
        opts = self.model._meta
        change_url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]
        )
        # "No, take me back" on an action's intermediate page is a link to this URL.
        if request.method != "POST":
            return redirect(change_url)
        allowed = self.get_actions(request, action_location=ActionLocation.CHANGE_FORM)
        chosen = allowed.get(action)
        if chosen is None or not self.has_change_permission(request, obj):
            raise PermissionDenied
        func = chosen.func
        response = func(self, request, self.get_queryset(request).filter(pk=obj.pk))
        return response or redirect(change_url)
