"""Top-level URLs."""

from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path

from huamu import health, metrics, views
from huamu.forms import LoginForm
from sponsors import phone_views
from wishes.public import views as public_views

urlpatterns = [
    path("", views.home, name="home"),
    # For load balancers and monitors: no login, never cached.
    path("healthz", health.healthz, name="healthz"),
    # Prometheus metrics, for the servers' own network only (huamu/metrics.py).
    path("metrics", metrics.metrics, name="metrics"),
    # The picture WeChat shows beside a shared link to a page that is not a wish.
    path("share.png", public_views.site_share_image, name="share_image"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Where a login lands when it was not sent from a page (LOGIN_REDIRECT_URL).
    path("accounts/welcome/", views.landing, name="landing"),
    # Django's login view with an overlong username refused before throttling (huamu/forms.py).
    path("accounts/login/", LoginView.as_view(authentication_form=LoginForm), name="login"),
    # Logging in (or on to signing up) with a mobile number and a text-message code.
    path("accounts/phone/", phone_views.phone_login, name="phone_login"),
    path("accounts/phone/code/", phone_views.phone_login_code, name="phone_login_code"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("wishes/", include("wishes.public.urls")),
    path("events/", include("wishes.public.event_urls")),
    path("school/", include("wishes.school.urls")),
    path("impact/", include("wishes.reports.impact_urls")),
    # The versioned JSON feed of open wishes for the city platform (docs/feed.md).
    path("feed/", include("wishes.city_platform.urls")),
    # Children's photos and letters: every file goes through a permission check.
    path("files/", include("wishes.files.urls")),
    # sponsors.urls holds both /sponsors/register/ and the dashboard under /sponsor/.
    path("", include("sponsors.urls")),
]

# A database error in any middleware still gets the 503 page; anything else the 500 page.
handler500 = "huamu.middleware.server_error"
