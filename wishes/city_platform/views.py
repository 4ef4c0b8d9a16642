"""The public feed of open wishes, and the back-office page to upload city-platform claims."""

import hashlib
import json

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_safe

from huamu.cache import cached_fragment
from huamu.roles import AuthenticatedRequest, is_office_staff
from wishes.city_platform.feed import Cursor, FeedRequestError, build_wish_feed, page_size
from wishes.city_platform.inbound import (
    MAX_PLATFORM_FILE_BYTES,
    PlatformFileError,
    import_platform_claims,
    read_platform_claims,
)
from wishes.models import Claim


def _feed_json(after: Cursor | None, limit: int) -> str:
    return json.dumps(
        build_wish_feed(after=after, limit=limit), ensure_ascii=False, separators=(",", ":")
    )


@require_safe
@cache_control(public=True, max_age=60)
def wishes_feed(request: HttpRequest) -> HttpResponse:
    """One page of the open wishes as versioned JSON for the city platform (docs/feed.md).

    Each page is kept in the shared cache until public data changes (and per day, since
    "days waiting" changes at midnight), and carries an ETag: a reader that sends it back
    in If-None-Match gets 304 without the body.
    """
    try:
        token = request.GET.get("after") or None
        after = Cursor.decode(token) if token else None
        limit = page_size(request.GET.get("limit"))
    except FeedRequestError as error:
        response: HttpResponse = JsonResponse({"error": str(error)}, status=400)
    else:
        parts = [token or "", str(limit), timezone.localdate().isoformat()]
        body = cached_fragment(
            "feed-wishes", parts, lambda: _feed_json(after, limit), tags=("wishes",)
        ).encode()
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        response = get_conditional_response(request, etag=etag) or HttpResponse(
            body, content_type="application/json; charset=utf-8"
        )
        response["ETag"] = etag
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
