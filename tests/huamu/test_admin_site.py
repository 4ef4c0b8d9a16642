"""The back office's own AdminSite: its front page dashboard, who reaches it, and that every
model stays registered on it."""

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.urls import reverse

from huamu.admin_site import HuamuAdminSite
from wishes.reports.dashboard import StaffDashboard

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
ROOT = Path(__file__).resolve().parents[2]

# Every model on the back office before the site became HuamuAdminSite, by admin class.
REGISTERED = {
    "auth.Group": "GroupAdmin",
    "auth.User": "UserAdmin",
    "axes.AccessAttempt": "AccessAttemptAdmin",
    "axes.AccessFailureLog": "AccessFailureLogAdmin",
    "axes.AccessLog": "AccessLogAdmin",
    # django-tasks-db's own read-only list of queued and finished tasks.
    "django_tasks_database.DBTaskResult": "DBTaskResultAdmin",
    "sponsors.Sponsor": "SponsorAdmin",
    "sponsors.SponsorMember": "SponsorMemberAdmin",
    "sponsors.TeamInvite": "TeamInviteAdmin",
    "sponsors.JoinRequest": "JoinRequestAdmin",
    "sponsors.VerifiedPhone": "VerifiedPhoneAdmin",
    "sponsors.PhoneCode": "PhoneCodeAdmin",
    "sponsors.NotificationPreference": "NotificationPreferenceAdmin",
    "wishes.AccessLog": "AccessLogAdmin",
    "wishes.Attendee": "AttendeeAdmin",
    "wishes.Campaign": "CampaignAdmin",
    "wishes.Child": "ChildAdmin",
    "wishes.Claim": "ClaimAdmin",
    "wishes.Consent": "ConsentAdmin",
    "wishes.Download": "DownloadAdmin",
    "wishes.DropOffPoint": "DropOffPointAdmin",
    "wishes.Event": "EventAdmin",
    "wishes.EventSignup": "EventSignupAdmin",
    "wishes.Feedback": "FeedbackAdmin",
    "wishes.Fulfilment": "FulfilmentAdmin",
    "wishes.FulfilmentPhoto": "FulfilmentPhotoAdmin",
    "wishes.GiftReceipt": "GiftReceiptAdmin",
    "wishes.HandoverReminder": "HandoverReminderAdmin",
    "wishes.ImportBatch": "ImportBatchAdmin",
    "wishes.MissingGift": "MissingGiftAdmin",
    "wishes.Region": "RegionAdmin",
    "wishes.School": "SchoolAdmin",
    "wishes.ScheduledRun": "ScheduledRunAdmin",
    "wishes.Tally": "TallyAdmin",
    "wishes.SchoolCoordinator": "SchoolCoordinatorAdmin",
    "wishes.StatusChange": "StatusChangeAdmin",
    "wishes.ThankYouLetter": "ThankYouLetterAdmin",
    "wishes.Wish": "WishAdmin",
    "wishes.YearTotal": "YearTotalAdmin",
}

# Called through the HUAMU_ADMIN_DASHBOARD setting by test_the_setting_names_the_dashboard.
built_for: list = []


def fake_dashboard(user) -> SimpleNamespace:
    built_for.append(user)
    return SimpleNamespace(staff_tasks=[])


def test_the_site_is_a_huamu_admin_site():
    assert isinstance(admin.site, HuamuAdminSite)


def test_the_index_shows_the_dashboard_to_staff_with_permission(client_for):
    response = client_for("staff").get(INDEX, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert isinstance(response.context["dashboard"], StaffDashboard)
    assert 'id="staff-dashboard"' in response.text
    assert 'id="dashboard-staff-tasks"' in response.text
    assert "Huamu Dream Wishes back office" in response.text
    assert "Programme administration" in response.text


def test_the_setting_names_the_dashboard(client_for, staff, settings):
    settings.HUAMU_ADMIN_DASHBOARD = "tests.huamu.test_admin_site.fake_dashboard"
    built_for.clear()

    response = client_for("staff").get(INDEX)

    assert response.status_code == 200
    assert built_for == [staff]
    assert 'id="staff-dashboard"' in response.text


def test_without_a_dashboard_setting_the_index_has_none(client_for, settings):
    settings.HUAMU_ADMIN_DASHBOARD = ""

    response = client_for("staff").get(INDEX)

    assert response.status_code == 200
    assert 'id="staff-dashboard"' not in response.text


@pytest.mark.parametrize(
    "role", ["anonymous", "sponsor", "unverified_sponsor", "coordinator", "plain_user"]
)
def test_the_index_refuses_users_without_permission(client_for, settings, role):
    settings.HUAMU_ADMIN_DASHBOARD = "tests.huamu.test_admin_site.fake_dashboard"
    built_for.clear()

    response = client_for(role).get(INDEX)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert built_for == []


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_index_only_answers_reads(client_for, method):
    response = getattr(client_for("staff"), method)(INDEX)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_every_model_stays_registered():
    registered = {
        model._meta.label: type(model_admin).__name__
        for model, model_admin in admin.site._registry.items()
    }

    assert registered == REGISTERED


@pytest.mark.parametrize("module", ["admin_kit.py", "admin_site.py"])
def test_the_admin_kit_imports_no_app(module):
    tree = ast.parse((ROOT / "huamu" / module).read_text())
    imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]

    assert [name for name in imported if name.split(".")[0] in {"wishes", "sponsors"}] == []
