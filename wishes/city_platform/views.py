"""The public feed of open wishes, and the back-office page to upload city-platform claims."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_safe

from huamu.roles import AuthenticatedRequest, is_office_staff
from wishes.city_platform.feed import build_wish_feed
from wishes.city_platform.inbound import (
    MAX_PLATFORM_FILE_BYTES,
    PlatformFileError,
    import_platform_claims,
    read_platform_claims,
)
from wishes.models import Claim


@require_safe
@cache_control(public=True, max_age=60)
def wishes_feed(request: HttpRequest) -> HttpResponse:
    """The open wishes as versioned JSON for the city platform (docs/feed.md)."""
    response = JsonResponse(
        build_wish_feed(),
        content_type="application/json; charset=utf-8",
        json_dumps_params={"ensure_ascii": False},
    )
    # Public data without credentials: any site may read it from a browser too.
    response["Access-Control-Allow-Origin"] = "*"
    return response


class PlatformClaimsForm(forms.Form):
    file = forms.FileField(
        label=_("Claims file (.json or .csv)"),
        help_text=_("The format is described in docs/feed.md."),
    )

    def clean_file(self) -> list:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_PLATFORM_FILE_BYTES:
            raise forms.ValidationError(gettext("The file is too large."))
        try:
            return read_platform_claims(upload.read(), name=upload.name)
        except PlatformFileError as error:
            raise forms.ValidationError(str(error)) from None


@require_http_methods(["GET", "POST"])
def upload_platform_claims(
    request: AuthenticatedRequest, model_admin: admin.ModelAdmin
) -> HttpResponse:
    """Staff upload a file of claims made on the city platform; each row is reported."""
    if not is_office_staff(request.user, perm="wishes.add_claim"):
        raise PermissionDenied
    form = PlatformClaimsForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = import_platform_claims(rows=form.cleaned_data["file"], by=request.user)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Import claims made on the city platform"),
        "opts": Claim._meta,
        "form": form,
        "report": report,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "impact/admin_platform_claims.html", context)


def platform_claim_urls(model_admin: admin.ModelAdmin) -> list[URLPattern]:
    """The upload page's URL, for ClaimAdmin.get_urls (admin:wishes_claim_import_platform)."""

    def view(request: AuthenticatedRequest) -> HttpResponse:
        return upload_platform_claims(request, model_admin)

    return [
        path(
            "import-platform/",
            model_admin.admin_site.admin_view(view),
            name="wishes_claim_import_platform",
        )
    ]
