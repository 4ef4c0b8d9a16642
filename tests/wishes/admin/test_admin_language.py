"""The back office speaks Chinese throughout: Django's own strings its zh_Hans catalogues
lack are ours to translate (locale/django/), and states show by their labels."""

import json
from pathlib import Path

import django
import polib
import pytest
from django.urls import reverse

from tests.factories import ThankYouLetterFactory, WishFactory
from wishes.audit import record_change
from wishes.models import StatusChange, WishStatus

ROOT = Path(__file__).resolve().parents[3]
DJANGO = Path(django.__file__).parent
GAPS = ROOT / "locale" / "django" / "zh_Hans" / "LC_MESSAGES"
# Django's catalogues the back office renders: forms, the admin's pages and its scripts.
CATALOGUES = [
    ("django", DJANGO / "conf" / "locale"),
    ("django", DJANGO / "contrib" / "admin" / "locale"),
    ("djangojs", DJANGO / "contrib" / "admin" / "locale"),
]


def _translated(path: Path) -> set[str]:
    return {e.msgid for e in polib.pofile(str(path)) if e.translated() and not e.obsolete}


@pytest.mark.parametrize("domain, base", CATALOGUES)
def test_every_string_django_leaves_untranslated_is_translated_by_us(domain, base):
    source = polib.pofile(str(base / "en" / "LC_MESSAGES" / f"{domain}.po"))
    upstream = _translated(base / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po")
    ours = _translated(GAPS / f"{domain}.po")

    gaps = {e.msgid for e in source if not e.obsolete} - upstream

    assert gaps, "Django translates everything now: the gap catalogue may go"
    assert sorted(gaps - ours) == []


@pytest.fixture
def staff_client(client_for):
    return client_for("staff")


def test_select_placeholder_and_date_filter_caption_are_chinese(staff_client):
    ThankYouLetterFactory()

    wishes = staff_client.get(reverse("admin:wishes_wish_changelist")).content.decode()
    letters = staff_client.get(reverse("admin:wishes_thankyouletter_changelist")).content.decode()

    assert "Select an option" not in wishes
    assert "- 请选择 -" in wishes
    assert "Filter by" not in letters
    assert "按创建时间筛选" in letters


def test_the_admin_scripts_get_the_missing_strings_in_chinese(staff_client):
    response = staff_client.get(reverse("admin:jsi18n"))

    # The catalogue is written as JSON, non-ASCII characters escaped.
    assert json.dumps("您要找的可能是“运行”按钮")[1:-1] in response.content.decode()


def test_english_stays_english(staff_client):
    WishFactory()
    response = staff_client.get(reverse("admin:wishes_wish_changelist"), HTTP_ACCEPT_LANGUAGE="en")

    assert "- Select an option -" in response.content.decode()


def test_the_audit_trail_list_shows_states_by_label(staff_client, staff):
    wish = WishFactory()
    record_change(subject=wish, from_status="draft", to_status="open", by=staff)

    page = staff_client.get(reverse("admin:wishes_statuschange_changelist")).content.decode()

    assert "草稿" in page
    assert "待认领" in page
    assert '<td class="field-from_label">draft' not in page
    assert '<td class="field-to_label">open' not in page


def test_the_audit_trail_filters_by_labelled_state(staff_client, staff):
    opened, drafted = WishFactory(), WishFactory()
    record_change(subject=opened, from_status="draft", to_status=WishStatus.OPEN, by=staff)
    record_change(subject=drafted, from_status="", to_status=WishStatus.DRAFT, by=staff)
    change = StatusChange.objects.get(object_id=opened.pk, to_status=WishStatus.OPEN)
    url = reverse("admin:wishes_statuschange_changelist")

    page = staff_client.get(url).content.decode()
    filtered = staff_client.get(url, {"to": f"{change.content_type_id}:open"})

    assert "心愿: 待认领" in page
    assert list(filtered.context["cl"].result_list) == [change]


def test_one_audit_row_shows_its_states_by_label(staff_client, staff):
    wish = WishFactory()
    change = record_change(subject=wish, from_status="draft", to_status="open", by=staff)

    page = staff_client.get(
        reverse("admin:wishes_statuschange_change", args=[change.pk])
    ).content.decode()

    assert "草稿" in page
    assert "待认领" in page
