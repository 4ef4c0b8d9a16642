"""Top-level URLs."""

from django.contrib import admin
from django.urls import include, path

from huamu import views

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("wishes/", include("wishes.urls")),
    path("events/", include("wishes.event_urls")),
    path("school/", include("wishes.school_urls")),
    # Children's photos and letters: every file goes through a permission check.
    path("files/", include("wishes.media_urls")),
    # sponsors.urls holds both /sponsors/register/ and the dashboard under /sponsor/.
    path("", include("sponsors.urls")),
]
