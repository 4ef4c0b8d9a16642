"""The back office's site: its titles, and the staff dashboard on its front page.

The dashboard is built by the callable the `HUAMU_ADMIN_DASHBOARD` setting names (a dotted
path, given the user), so this shared kit imports no app. `HuamuAdminConfig` takes the
place of "django.contrib.admin" in INSTALLED_APPS and makes this site `admin.site`.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe


class HuamuAdminSite(admin.AdminSite):
    """Django's admin site with the association's titles and the staff dashboard."""

    site_header = _("Huamu Dream Wishes back office")
    site_title = _("Huamu Dream Wishes back office")
    index_title = _("Programme administration")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # An overlong username is refused before login throttling writes it. Imported here:
        # this module loads with INSTALLED_APPS, before the auth models the form needs.
        from huamu.forms import AdminLoginForm

        self.login_form = AdminLoginForm

    # Now a view of ours, the front page follows our rule for pages that only read: GET and
    # HEAD, any other method a 405 (tests/security/test_safe_methods.py).
    @method_decorator(require_safe)
    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        """The front page: Django's list of models with the dashboard above it."""
        context = {"dashboard": self.dashboard(request), **(extra_context or {})}
        return super().index(request, extra_context=context)

    def autocomplete_view(self, request: HttpRequest):
        return LabelledAutocompleteView.as_view(admin_site=self)(request)

    def dashboard(self, request: HttpRequest) -> object | None:
        """The dashboard of the logged-in staff user; None for anyone else, or when none is set."""
        # The site lets only active staff reach its front page; this is a second lock.
        if not self.has_permission(request):
            return None
        path = getattr(settings, "HUAMU_ADMIN_DASHBOARD", "")
        if not path:
            return None
        return import_string(path)(request.user)


class LabelledAutocompleteView(AutocompleteJsonView):
    """Autocomplete results labelled by the target ModelAdmin's `autocomplete_label(request,
    obj)` when it has one (a child's real name, school and grade for staff), else str(obj)."""

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        # A picker that names children by their real names is a read like a list page:
        # the target admin logs the results it is about to show.
        shown = getattr(self.model_admin, "autocomplete_shown", None)
        if shown is not None:
            shown(self.request, list(context["object_list"]))
        return context

    def serialize_result(self, obj, to_field_name: str) -> dict:
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = label(self.request, obj)
        return result


class HuamuAdminConfig(AdminConfig):
    """django.contrib.admin, autodiscovering as usual, with HuamuAdminSite as `admin.site`."""

    default_site = "huamu.admin_site.HuamuAdminSite"
