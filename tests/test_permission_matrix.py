"""Who may read a child's real data, as one matrix of roles × pages and files.

Every page and file that shows a child's identity is asked by every role, including a user
flagged `is_staff` with no permission at all (the admin refuses such a user, so must every
other page). Markers are planted in the child's private fields; a refused role must get a
refusal and none of the markers, an allowed role the page (with the markers, where the page
shows them).
"""

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sponsors.teams import create_invite
from tests.factories import (
    ChildFactory,
    ClaimFactory,
    ConsentFactory,
    FulfilmentFactory,
    FulfilmentPhotoFactory,
    ImportBatchFactory,
    ThankYouLetterFactory,
    WishFactory,
)
from tests.security.conftest import signed_form_scan
from wishes.models import ImportStatus, Wish, WishStatus
from wishes.services import attach_signed_form

pytestmark = pytest.mark.django_db

REAL_NAME = "王秘密"
GUARDIAN_PHONE = "13911112222"
GUARDIAN_NAME = "王大密"
CHILD_WORDS = "我想要一架秘密望远镜"
MARKERS = (REAL_NAME, GUARDIAN_NAME, GUARDIAN_PHONE, CHILD_WORDS)

ROLES = [
    "anonymous",
    "plain_user",
    "sponsor",
    "other_coordinator",
    "coordinator",
    "bare_staff",
    "staff",
]

# What a role gets: the page with the child's markers, the page or file without checking
# its content, the page without any marker, or a refusal with its status code.
SEES = "sees"
ALLOWED = "allowed"
BLIND = "blind"
LOGIN = 302
# A form posted and done: redirected, but not to the login page.
DONE = "done"

# Back-office pages: anyone who is not staff is sent to the admin login.
OFFICE_ONLY_SEES = {
    "anonymous": LOGIN,
    "plain_user": LOGIN,
    "sponsor": LOGIN,
    "other_coordinator": LOGIN,
    "coordinator": LOGIN,
    "bare_staff": 403,
    "staff": SEES,
}
OFFICE_ONLY = {**OFFICE_ONLY_SEES, "staff": ALLOWED}
# Private files: whoever may not see one gets a 404, which does not reveal that it exists.
SCHOOL_FILE = {
    "anonymous": 404,
    "plain_user": 404,
    "sponsor": 404,
    "other_coordinator": 404,
    "coordinator": ALLOWED,
    "bare_staff": 404,
    "staff": ALLOWED,
}

MATRIX: dict[str, dict[str, object]] = {
    "school overview": {
        "anonymous": LOGIN,
        "plain_user": 403,
        "sponsor": 403,
        # Another school's coordinator always gets their own school, whatever ?school= says.
        "other_coordinator": BLIND,
        "coordinator": SEES,
        "bare_staff": 403,
        "staff": SEES,
    },
    "school child record": {
        "anonymous": LOGIN,
        "plain_user": 403,
        "sponsor": 403,
        "other_coordinator": 404,
        "coordinator": SEES,
        "bare_staff": 403,
        "staff": SEES,
    },
    "photo file": SCHOOL_FILE,
    "photo thumbnail": SCHOOL_FILE,
    "letter scan": SCHOOL_FILE,
    # The guardian's signed consent form: the association's staff alone, not even the school.
    "signed consent form": {**SCHOOL_FILE, "coordinator": 404},
    "admin children list": OFFICE_ONLY_SEES,
    "admin child": OFFICE_ONLY_SEES,
    "admin wish": OFFICE_ONLY_SEES,
    "admin consent": OFFICE_ONLY_SEES,
    # The case's records were never edited: their history holds no value yet.
    "admin child field history": OFFICE_ONLY,
    "admin consent field history": OFFICE_ONLY,
    "admin letters list": OFFICE_ONLY,
    "admin access log": OFFICE_ONLY,
    "intake form": OFFICE_ONLY,
    "intake page": OFFICE_ONLY,
    "import upload": OFFICE_ONLY,
    "import preview": OFFICE_ONLY_SEES,
    "import file": OFFICE_ONLY,
    "campaign export": OFFICE_ONLY,
    "wish cards": OFFICE_ONLY,
    "platform claims upload": OFFICE_ONLY,
    # Covering areas of a letter's scan, and the draft of the sponsor's copy: staff alone.
    "admin letter cover areas": OFFICE_ONLY,
    "letter draft copy": {**SCHOOL_FILE, "coordinator": 404},
    # The wish card's QR opens the public page; staff and the school's coordinator get the
    # "gift received" form on it, and no child's data.
    "wish page of a claimed wish": dict.fromkeys(ROLES, BLIND),
    "gift received": {
        "anonymous": LOGIN,
        "plain_user": 403,
        "sponsor": 403,
        "other_coordinator": 403,
        "coordinator": DONE,
        "bare_staff": 403,
        "staff": DONE,
    },
    "admin drop-off points": OFFICE_ONLY,
    "admin missing gifts": OFFICE_ONLY,
    "admin gift receipts": OFFICE_ONLY,
}

# A unit's own pages: its members (here its administrator, `sponsor`) only, and never a
# child's private data there; everyone else logged in is told the page is for sponsors.
UNIT_ADMINISTRATOR_BLIND = {
    "anonymous": LOGIN,
    "plain_user": 403,
    "sponsor": BLIND,
    "other_coordinator": 403,
    "coordinator": 403,
    "bare_staff": 403,
    "staff": 403,
}
MATRIX.update(
    {
        "sponsor team": UNIT_ADMINISTRATOR_BLIND,
        "sponsor team invitation": UNIT_ADMINISTRATOR_BLIND,
        "sponsor fulfilled list": UNIT_ADMINISTRATOR_BLIND,
        "sponsor certificate": {**UNIT_ADMINISTRATOR_BLIND, "sponsor": ALLOWED},
    }
)


@dataclass
class Case:
    """One child with private markers, a fulfilled wish, a private photo and a letter."""

    school_id: int
    child_id: int
    wish_id: int
    consent_id: int
    photo_id: int
    letter_id: int
    campaign_id: int
    batch_id: int
    invite_id: int
    claimed_wish_id: int


@pytest.fixture
def case(school, sponsor) -> Case:
    child = ChildFactory(
        real_name=REAL_NAME,
        guardian_name=GUARDIAN_NAME,
        guardian_phone=GUARDIAN_PHONE,
        school=school,
    )
    fulfilment = FulfilmentFactory(
        claim__wish__child=child,
        claim__wish__child_words=CHILD_WORDS,
        claim__sponsor=sponsor.sponsor_member.sponsor,
    )
    consent = ConsentFactory(child=child, given_by=GUARDIAN_NAME)
    attach_signed_form(consent_id=consent.pk, by=None, scan=signed_form_scan())
    claimed = ClaimFactory(
        wish__child=child, wish__child_words=CHILD_WORDS, sponsor=fulfilment.claim.sponsor
    )
    # The guardian keeps photos from the sponsor: the photo file is for the school only.
    child.consents.update(share_photos_with_sponsor=False)
    wish = fulfilment.claim.wish
    photo = FulfilmentPhotoFactory(fulfilment=fulfilment)
    letter = ThankYouLetterFactory(fulfilment=fulfilment, scanned=True)
    WishFactory(child=ChildFactory(school=school), campaign=wish.campaign, open=True)
    batch = ImportBatchFactory(
        campaign=wish.campaign,
        status=ImportStatus.CHECKED,
        rows_total=1,
        problems=[{"row": 2, "column": "姓名", "message": f"{REAL_NAME} 已在册"}],
    )
    return Case(
        school_id=school.pk,
        child_id=child.pk,
        wish_id=wish.pk,
        consent_id=consent.pk,
        photo_id=photo.pk,
        letter_id=letter.pk,
        campaign_id=wish.campaign_id,
        batch_id=batch.pk,
        invite_id=create_invite(sponsor_id=sponsor.sponsor_member.sponsor_id, by=sponsor).pk,
        claimed_wish_id=claimed.wish_id,
    )


def _action(client: Client, changelist: str, action: str, ids: list[int]):
    data = {
        "action": action,
        "index": "0",
        "select_across": "0",
        "_selected_action": [str(pk) for pk in ids],
    }
    return client.post(reverse(changelist), data)


def ask(client: Client, surface: str, case: Case):
    """Request one surface of the matrix as the client's user."""
    requests = {
        "school overview": lambda: client.get(
            reverse("school:overview"), {"school": case.school_id, "show": "fulfilled"}
        ),
        "school child record": lambda: client.get(reverse("school:child", args=[case.child_id])),
        "photo file": lambda: client.get(reverse("files:photo", args=[case.photo_id])),
        "photo thumbnail": lambda: client.get(
            reverse("files:photo_thumbnail", args=[case.photo_id])
        ),
        "letter scan": lambda: client.get(reverse("files:letter_scan", args=[case.letter_id])),
        "signed consent form": lambda: client.get(
            reverse("files:signed_form", args=[case.consent_id])
        ),
        "admin children list": lambda: client.get(reverse("admin:wishes_child_changelist")),
        "admin child": lambda: client.get(
            reverse("admin:wishes_child_change", args=[case.child_id])
        ),
        "admin wish": lambda: client.get(reverse("admin:wishes_wish_change", args=[case.wish_id])),
        "admin consent": lambda: client.get(
            reverse("admin:wishes_consent_change", args=[case.consent_id])
        ),
        "admin child field history": lambda: client.get(
            reverse("admin:wishes_child_field_history", args=[case.child_id])
        ),
        "admin consent field history": lambda: client.get(
            reverse("admin:wishes_consent_field_history", args=[case.consent_id])
        ),
        "admin letters list": lambda: client.get(
            reverse("admin:wishes_thankyouletter_changelist")
        ),
        "admin access log": lambda: client.get(reverse("admin:wishes_accesslog_changelist")),
        "intake form": lambda: client.get(reverse("admin:wishes_child_intake_form")),
        "intake page": lambda: client.get(reverse("admin:wishes_child_intake")),
        "import upload": lambda: client.get(reverse("admin:wishes_importbatch_upload")),
        "import preview": lambda: client.get(
            reverse("admin:wishes_importbatch_preview", args=[case.batch_id])
        ),
        "import file": lambda: client.get(
            reverse("admin:wishes_importbatch_file", args=[case.batch_id])
        ),
        "campaign export": lambda: _action(
            client, "admin:wishes_campaign_changelist", "export_campaign", [case.campaign_id]
        ),
        "wish cards": lambda: _action(
            client,
            "admin:wishes_wish_changelist",
            "print_wish_cards",
            list(Wish.objects.filter(status=WishStatus.OPEN).values_list("pk", flat=True)),
        ),
        "platform claims upload": lambda: client.get(
            reverse("admin:wishes_claim_import_platform")
        ),
        "admin letter cover areas": lambda: client.get(
            reverse("admin:wishes_thankyouletter_cover", args=[case.letter_id])
        ),
        "letter draft copy": lambda: client.get(
            reverse("files:letter_draft", args=[case.letter_id])
        ),
        "sponsor team": lambda: client.get(reverse("sponsors:team")),
        "sponsor team invitation": lambda: client.get(
            reverse("sponsors:invite", args=[case.invite_id])
        ),
        "sponsor fulfilled list": lambda: client.get(reverse("sponsors:fulfilled_list")),
        "sponsor certificate": lambda: client.get(
            reverse("sponsors:certificate"), {"year": timezone.localdate().year}
        ),
        "wish page of a claimed wish": lambda: client.get(
            reverse("wishes:detail", args=[case.claimed_wish_id])
        ),
        "gift received": lambda: client.post(
            reverse("wishes:gift_received", args=[case.claimed_wish_id]), {"note": ""}
        ),
        "admin drop-off points": lambda: client.get(
            reverse("admin:wishes_dropoffpoint_changelist")
        ),
        "admin missing gifts": lambda: client.get(reverse("admin:wishes_missinggift_changelist")),
        "admin gift receipts": lambda: client.get(reverse("admin:wishes_giftreceipt_changelist")),
    }
    return requests[surface]()


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def test_the_matrix_covers_every_role_on_every_surface():
    for surface, row in MATRIX.items():
        assert sorted(row) == sorted(ROLES), surface


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("surface", list(MATRIX))
def test_role_on_surface(role, surface, case, client_for):
    expected = MATRIX[surface][role]

    response = ask(client_for(role), surface, case)
    body = _body(response)

    shown = [marker for marker in MARKERS if marker in body]
    if expected == SEES:
        assert response.status_code == 200
        assert shown, f"{role} should see the child's data on {surface}"
    elif expected == ALLOWED:
        assert response.status_code == 200
    elif expected == BLIND:
        assert response.status_code == 200
        assert shown == []
    elif expected == DONE:
        assert response.status_code == 302
        assert "/login/" not in response["Location"]
    else:
        assert response.status_code == expected
        assert shown == [], f"{role} was refused {surface} but got {shown}"
        if expected == LOGIN:
            assert "/login/" in response["Location"]


def test_a_bare_staff_flag_is_refused_wherever_real_staff_are_let_in():
    """The drift this matrix exists for: no page may trust is_staff alone."""
    for surface, row in MATRIX.items():
        if row["staff"] in (SEES, ALLOWED, DONE):
            assert row["bare_staff"] in (403, 404), surface
