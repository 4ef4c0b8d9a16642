"""Printed matter: wish cards with working QR codes, the intake form and thank-you certificates.

PDFs are checked as a reader would see them: pypdf extracts their text, and the wish cards'
QR codes are decoded from the rendered page (pypdfium2 draws it, zxing-cpp reads the codes).
"""

import datetime
import io
from decimal import Decimal

import pypdfium2
import pytest
import zxingcpp
from django.contrib.auth.models import Permission
from django.contrib.messages import constants, get_messages
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from pypdf import PdfReader

from tests.factories import (
    ChildFactory,
    ClaimFactory,
    FulfilmentFactory,
    SponsorFactory,
    UserFactory,
    WishFactory,
)
from wishes.models import Consent, PublicLocation, WishStatus
from wishes.reports.cards import CARDS_PER_PAGE, wish_url
from wishes.reports.certificates import certificate_numbers
from wishes.reports.pdf import PDF_CONTENT_TYPE, cjk_font_path, wrap

SITE = "https://huamu.example.org"
A4_POINTS = (595.3, 841.9)
CONSENT_SCOPES = ["keep_record", "publish_wish", "share_photos_with_sponsor", "publish_photos"]
OUTSIDERS = ["anonymous", "sponsor", "coordinator", "plain_user"]
FIGURE_LABELS = ["Wishes fulfilled", "Children helped", "Estimated value (yuan)"]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    # The PDFs cannot be made without it; CI installs it with scripts/fetch-font.
    if cjk_font_path() is None:
        pytest.fail("No CJK font: run scripts/fetch-font (or set HUAMU_CJK_FONT).")


def pdf_text(content: bytes) -> list[str]:
    """The text of each page, without the spaces and line breaks layout adds."""
    reader = PdfReader(io.BytesIO(content))
    return ["".join(page.extract_text().split()) for page in reader.pages]


def qr_codes(content: bytes, page: int = 0) -> list[str]:
    """The QR codes a phone would read on a printed page, decoded from a rendering of it."""
    image = pypdfium2.PdfDocument(content)[page].render(scale=2).to_pil()
    return sorted(result.text for result in zxingcpp.read_barcodes(image))


def notes(response, level: int) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == level]


def run_action(client, changelist: str, action: str, objects, **fields):
    data = {
        "action": action,
        "index": "0",
        "select_across": "0",
        "_selected_action": [str(obj.pk) for obj in objects],
        **fields,
    }
    return client.post(reverse(changelist), data, HTTP_ACCEPT_LANGUAGE="en")


def print_cards(client, wishes):
    return run_action(client, "admin:wishes_wish_changelist", "print_wish_cards", wishes)


def assert_embedded_font(content: bytes) -> None:
    # An embedded TrueType subset, not a font the viewer is asked to supply.
    assert b"/FontFile2" in content
    assert b"STSong" not in content
    assert b"UniGB-UCS2" not in content


# --- wish cards -------------------------------------------------------------------------------


@pytest.fixture
def open_wishes(db) -> list:
    """Nine wishes waiting for a sponsor: one full page of cards and one more."""
    return [
        WishFactory(open=True, child__alias=f"小{name}同学", public_text=f"想要一套{name}的书")
        for name in "王李张刘陈杨赵黄周"
    ]


def test_cards_come_eight_to_an_a4_page(client_for, open_wishes):
    response = print_cards(client_for("staff"), open_wishes)

    assert response.status_code == 200
    assert response["Content-Type"] == PDF_CONTENT_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="wish-cards-')
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2 == -(-len(open_wishes) // CARDS_PER_PAGE)
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)) == (
            A4_POINTS
        )


def test_each_card_shows_alias_grade_public_text_and_code(client_for, open_wishes):
    response = print_cards(client_for("staff"), open_wishes)

    first_page, second_page = pdf_text(response.content)
    for wish in sorted(open_wishes, key=lambda w: w.code)[:CARDS_PER_PAGE]:
        assert wish.child.alias in first_page
        assert wish.code in first_page
        assert wish.public_text in first_page
    assert open_wishes[-1].code in second_page
    with translation.override("zh-hans"):
        grade_band = str(open_wishes[0].child.grade_band.label)
    assert grade_band.replace(" ", "") in first_page


def test_card_qr_codes_open_each_wish_public_page(client_for, open_wishes):
    response = print_cards(client_for("staff"), open_wishes)

    expected = sorted(f"{SITE}/wishes/{wish.pk}/" for wish in open_wishes)
    # Sorted as a whole: ids that cross a digit boundary (99, 100) sort differently as text.
    assert (
        sorted(qr_codes(response.content, page=0) + qr_codes(response.content, page=1)) == expected
    )
    assert wish_url(open_wishes[0].pk) == f"{SITE}{open_wishes[0].get_absolute_url()}"


def test_cards_carry_nothing_private(client_for, db):
    child = ChildFactory(
        real_name="王小明",
        guardian_name="王大力",
        address="花木路88弄2号",
        public_location=PublicLocation.NONE,
        school__name="由由小学",
    )
    wish = WishFactory(
        open=True,
        child=child,
        child_words="我叫王小明，住在花木路88弄2号，想要一个足球",
        public_text="想要一个足球，电话13812345678",
    )

    (text,) = pdf_text(print_cards(client_for("staff"), [wish]).content)

    # What the public page shows, phone number masked as it is there.
    assert "想要一个足球，电话**" in text
    for private in ["王小明", "王大力", "花木路", "由由小学", "13812345678"]:
        assert private not in text


def test_only_wishes_waiting_for_a_sponsor_get_a_card(client_for, open_wishes):
    draft = WishFactory()
    claimed = ClaimFactory().wish
    hidden = WishFactory(open=True)
    # The guardian withdrew the consent to publish: the wish left the public pages.
    Consent.objects.filter(child=hidden.child).update(publish_wish=False)

    response = print_cards(client_for("staff"), [open_wishes[0], draft, claimed, hidden])

    assert response.status_code == 200
    (text,) = pdf_text(response.content)
    assert open_wishes[0].code in text
    for skipped in (draft, claimed, hidden):
        assert skipped.code not in text
    codes = ", ".join(sorted(w.code for w in (draft, claimed, hidden)))
    assert notes(response, constants.WARNING) == [
        f"No card for {codes}: only published wishes waiting to be claimed get a card."
    ]


def test_no_card_to_print_gives_a_message_not_an_empty_file(client_for, db):
    draft = WishFactory()

    response = print_cards(client_for("staff"), [draft])

    assert response.status_code == 302
    assert "Content-Disposition" not in response
    assert len(notes(response, constants.WARNING)) == 1


def test_cards_embed_the_chinese_font(client_for, open_wishes):
    assert_embedded_font(print_cards(client_for("staff"), open_wishes[:1]).content)


def test_cards_print_from_the_wish_page_too(client_for, open_wishes):
    wish = open_wishes[0]
    url = reverse("admin:wishes_wish_change", args=[wish.pk])
    data = {"CHANGE_FORM-action": "print_wish_cards", "_selected_action": [str(wish.pk)]}

    response = client_for("staff").post(url, data)

    assert response["Content-Type"] == PDF_CONTENT_TYPE
    assert qr_codes(response.content) == [f"{SITE}/wishes/{wish.pk}/"]


@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_cannot_print_cards(role, client_for, open_wishes):
    response = print_cards(client_for(role), open_wishes)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_account_without_permissions_cannot_print_cards(client, open_wishes):
    client.force_login(UserFactory(username="bare_staff", is_staff=True))

    assert print_cards(client, open_wishes).status_code == 403


def test_view_only_back_office_user_cannot_print_cards(client, open_wishes):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_wish"))
    client.force_login(viewer)

    response = print_cards(client, open_wishes)

    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert "Content-Disposition" not in response


# --- missing font -----------------------------------------------------------------------------


@pytest.fixture
def no_font(settings, tmp_path):
    settings.HUAMU_CJK_FONT = str(tmp_path / "missing.ttc")


def test_without_a_font_cards_give_a_message_not_an_error(client_for, open_wishes, no_font):
    response = print_cards(client_for("staff"), open_wishes)

    assert response.status_code == 302
    (message,) = notes(response, constants.ERROR)
    assert "scripts/fetch-font" in message


def test_a_broken_font_file_gives_the_same_message(client_for, settings, tmp_path, open_wishes):
    broken = tmp_path / "broken.ttc"
    broken.write_bytes(b"not a font")
    settings.HUAMU_CJK_FONT = str(broken)

    response = print_cards(client_for("staff"), open_wishes)

    assert response.status_code == 302
    assert "scripts/fetch-font" in notes(response, constants.ERROR)[0]


def test_without_a_font_the_intake_form_gives_a_message(client_for, db, no_font):
    response = client_for("staff").get(reverse("admin:wishes_child_intake_form"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:wishes_child_changelist")
    assert "scripts/fetch-font" in notes(response, constants.ERROR)[0]


# --- text layout ------------------------------------------------------------------------------


@pytest.fixture
def font():
    from wishes.reports.pdf import cjk_font

    return cjk_font()


def test_wrap_keeps_latin_words_whole_and_breaks_chinese_anywhere(font):
    lines = wrap("I would like a football to play with 我的好朋友们一起踢球", font, 10, 90)

    assert len(lines) > 2
    words = " ".join(lines).split()
    assert {"would", "football", "play"} <= set(words)
    assert "".join("".join(lines).split()) == "Iwouldlikeafootballtoplaywith我的好朋友们一起踢球"


def test_wrap_cuts_long_text_with_an_ellipsis(font):
    lines = wrap("想要" * 200, font, 10, 100, max_lines=3)

    assert len(lines) == 3
    assert lines[-1].endswith("…")


# --- intake form ------------------------------------------------------------------------------


def test_intake_form_is_one_a4_page_with_the_four_consent_boxes(client_for, db):
    response = client_for("staff").get(reverse("admin:wishes_child_intake_form"))

    assert response.status_code == 200
    assert response["Content-Type"] == PDF_CONTENT_TYPE
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)) == (
        A4_POINTS
    )
    (text,) = pdf_text(response.content)
    # Printed in the programme's language whatever the staff member's, on one sheet with
    # the guardian's signature.
    with translation.override("zh-hans"):
        scopes = [str(Consent._meta.get_field(s).verbose_name) for s in CONSENT_SCOPES]
        signature = gettext("Guardian's signature")
    assert scopes[1] == "授权发布心愿（匿名处理）"
    for label in [*scopes, signature]:
        assert "".join(label.split()) in text
    assert_embedded_font(response.content)


def test_child_list_links_to_the_intake_form(client_for, db):
    response = client_for("staff").get(reverse("admin:wishes_child_changelist"))

    assert reverse("admin:wishes_child_intake_form") in response.content.decode()


@pytest.mark.parametrize("role, status", [("staff", 200), ("superuser", 200)])
def test_back_office_downloads_the_intake_form(role, status, client_for, db):
    url = reverse("admin:wishes_child_intake_form")

    assert client_for(role).get(url).status_code == status


@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_cannot_download_the_intake_form(role, client_for, db):
    response = client_for(role).get(reverse("admin:wishes_child_intake_form"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_account_without_permissions_cannot_download_the_intake_form(client, db):
    client.force_login(UserFactory(username="bare_staff", is_staff=True))

    assert client.get(reverse("admin:wishes_child_intake_form")).status_code == 403


# --- thank-you certificates -------------------------------------------------------------------


@pytest.fixture
def museum(db):
    """A unit with three wishes of two children fulfilled in 2025 and one in 2024."""
    sponsor = SponsorFactory(verified=True, name="上海科技馆")
    twice = ChildFactory()
    for child, value, day in [
        (twice, "120.00", datetime.date(2025, 3, 5)),
        (twice, "80.50", datetime.date(2025, 12, 5)),
        (ChildFactory(), "300.00", datetime.date(2025, 6, 1)),
        (ChildFactory(), "999.00", datetime.date(2024, 12, 5)),
    ]:
        FulfilmentFactory(
            claim__sponsor=sponsor,
            claim__wish__child=child,
            claim__wish__estimated_value=Decimal(value),
            fulfilled_on=day,
        )
    # Another unit's fulfilment and the museum's open claim do not count.
    FulfilmentFactory(fulfilled_on=datetime.date(2025, 5, 1))
    ClaimFactory(sponsor=sponsor)
    return sponsor


def test_certificate_numbers_count_the_year_by_fulfilment_date(museum):
    numbers = certificate_numbers(museum, 2025)

    assert (numbers.wishes, numbers.children, numbers.value) == (3, 2, Decimal("500.50"))
    assert certificate_numbers(museum, 2024).wishes == 1
    assert certificate_numbers(museum, 2023).is_empty


def certificates(client, sponsors, year=None):
    fields = {} if year is None else {"apply": "1", "year": str(year)}
    return run_action(
        client, "admin:sponsors_sponsor_changelist", "thank_you_certificates", sponsors, **fields
    )


def test_certificate_action_first_asks_for_the_year(client_for, museum):
    response = certificates(client_for("staff"), [museum])

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form["year"].value() == timezone.localdate().year
    assert 2013 in dict(form.fields["year"].choices)


def test_certificate_shows_the_unit_and_its_numbers(client_for, museum):
    response = certificates(client_for("staff"), [museum], year=2025)

    assert response.status_code == 200
    assert response["Content-Type"] == PDF_CONTENT_TYPE
    assert response["Content-Disposition"].endswith('thank-you-certificates-2025.pdf"')
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    # Landscape A4.
    assert round(float(reader.pages[0].mediabox.width)) == 842
    (text,) = pdf_text(response.content)
    assert "上海科技馆" in text
    assert "2025" in text
    # Each figure above its label: 3 wishes, 2 children, ¥500.50 in whole yuan.
    with translation.override("zh-hans"):
        labels = ["".join(gettext(s).split()) for s in FIGURE_LABELS]
    assert f"3{labels[0]}2{labels[1]}501{labels[2]}" in text
    assert "999" not in text
    assert_embedded_font(response.content)


def test_certificate_is_in_the_sponsor_language(client_for, museum):
    museum.language = "en"
    museum.save()

    (text,) = pdf_text(certificates(client_for("staff"), [museum], year=2025).content)

    assert "3Wishesfulfilled2Childrenhelped501Estimatedvalue(yuan)" in text
    assert "HuamuDreamWishes" in text


def test_one_page_per_sponsor_and_none_for_a_sponsor_without_fulfilment(client_for, museum):
    other = FulfilmentFactory(fulfilled_on=datetime.date(2025, 9, 9)).claim.sponsor
    idle = SponsorFactory(verified=True, name="花木社区卫生服务中心")

    response = certificates(client_for("staff"), [museum, other, idle], year=2025)

    pages = pdf_text(response.content)
    assert len(pages) == 2
    assert any(other.name in page for page in pages)
    assert not any(idle.name in page for page in pages)
    assert notes(response, constants.WARNING) == [
        "No certificate for 花木社区卫生服务中心: no wish fulfilled in 2025."
    ]


def test_no_certificate_to_make_gives_a_message(client_for, museum):
    response = certificates(client_for("staff"), [museum], year=2019)

    assert response.status_code == 302
    assert "Content-Disposition" not in response


def test_certificate_refuses_a_year_outside_the_programme(client_for, museum):
    response = certificates(client_for("staff"), [museum], year=2012)

    assert response.status_code == 200
    assert "year" in response.context["adminform"].form.errors


@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_cannot_make_certificates(role, client_for, museum):
    response = certificates(client_for(role), [museum], year=2025)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_account_without_permissions_cannot_make_certificates(client, museum):
    client.force_login(UserFactory(username="bare_staff", is_staff=True))

    assert certificates(client, [museum], year=2025).status_code == 403


def test_view_only_back_office_user_cannot_make_certificates(client, museum):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_sponsor"))
    client.force_login(viewer)

    response = certificates(client, [museum], year=2025)

    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert "Content-Disposition" not in response


def test_wish_status_is_untouched_by_printing(client_for, open_wishes):
    print_cards(client_for("staff"), open_wishes)

    assert {w.status for w in type(open_wishes[0]).objects.all()} == {WishStatus.OPEN}
