"""The privacy guard on the paths text takes out: publishing, editing a published text,
recording new private words on a child, approving a letter; each refusal changes nothing."""

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from huamu.errors import TransitionError
from tests.factories import (
    ChildFactory,
    ConsentFactory,
    FulfilmentFactory,
    ThankYouLetterFactory,
    WishFactory,
)
from tests.security.conftest import admin_form_data
from tests.wishes.school.conftest import sponsor_of
from wishes.models import Child, LetterStatus, StatusChange, Wish, WishStatus
from wishes.privacy.guard import PrivacyRefusal, is_clean
from wishes.services import approve_letter, publish_wish, upload_letter

pytestmark = pytest.mark.django_db

NAMED = "我叫王小美，想要一个天文望远镜。住在锦绣苑。"


@pytest.fixture
def child(school):
    child = ChildFactory(
        real_name="王小美", guardian_name="李芳", address="锦绣苑3号楼", school=school
    )
    ConsentFactory(child=child)
    return child


@pytest.fixture
def staff_client(client_for):
    return client_for("staff")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_publishing_a_text_with_the_name_is_refused_and_changes_nothing(child, staff):
    wish = WishFactory(child=child, public_text=NAMED)
    history = StatusChange.objects.count()

    with pytest.raises(PrivacyRefusal) as refusal:
        publish_wish(wish_id=wish.pk, by=staff)

    assert "王小美" in str(refusal.value) and "锦绣苑" in str(refusal.value)
    wish.refresh_from_db()
    assert wish.status == WishStatus.DRAFT and wish.published_at is None
    assert StatusChange.objects.count() == history


def test_the_publish_action_shows_the_words_marked(child, staff_client):
    wish = WishFactory(child=child, public_text=NAMED)

    response = staff_client.post(
        reverse("admin:wishes_wish_changelist"),
        {"action": "publish", "index": "0", "_selected_action": [wish.pk]},
        follow=True,
    )

    [message] = messages_of(response)
    assert "<mark>王小美</mark>" in message and "<mark>锦绣苑</mark>" in message
    # Marked up, not escaped: the page shows the highlight.
    assert "<mark>王小美</mark>" in response.content.decode()
    wish.refresh_from_db()
    assert wish.status == WishStatus.DRAFT


def test_a_clean_text_is_published(child, staff):
    wish = WishFactory(child=child, public_text="想要一个天文望远镜，我喜欢看星星。")
    publish_wish(wish_id=wish.pk, by=staff)
    wish.refresh_from_db()
    assert wish.status == WishStatus.OPEN


def _change_page(client, obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def test_editing_a_published_text_to_name_the_child_is_refused(child, staff_client):
    wish = WishFactory(child=child, open=True)
    url = _change_page(staff_client, wish)
    data = admin_form_data(staff_client.get(url))
    data["public_text"] = "小美想要一个天文望远镜"

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert "<mark>小美</mark>" in response.content.decode()
    wish.refresh_from_db()
    assert wish.public_text == "想要一套科普书"


def test_a_draft_may_hold_the_childs_words_until_it_is_published(child, staff_client):
    wish = WishFactory(child=child)
    url = _change_page(staff_client, wish)
    data = admin_form_data(staff_client.get(url))
    data["public_text"] = NAMED

    response = staff_client.post(url, data)

    assert response.status_code == 302
    wish.refresh_from_db()
    assert wish.public_text == NAMED


def test_a_private_word_already_in_a_published_text_refuses_the_childs_save(child, staff_client):
    wish = WishFactory(child=child, open=True, public_text="想和豆豆一起看星星")
    url = _change_page(staff_client, child)
    data = admin_form_data(staff_client.get(url))
    data["private_words"] = "豆豆"

    response = staff_client.post(url, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert wish.code in page and "<mark>豆豆</mark>" in page
    child.refresh_from_db()
    assert child.private_words == ""


def test_a_private_word_in_no_public_text_is_recorded(child, staff_client):
    WishFactory(child=child, open=True)
    url = _change_page(staff_client, child)
    data = admin_form_data(staff_client.get(url))
    data["private_words"] = "豆豆\n王小刚"

    response = staff_client.post(url, data)

    assert response.status_code == 302
    child.refresh_from_db()
    assert child.private_words.splitlines() == ["豆豆", "王小刚"]
    # From now on, the new words are refused too.
    draft = WishFactory(child=child, public_text="和哥哥王小刚一起")
    with pytest.raises(PrivacyRefusal):
        publish_wish(wish_id=draft.pk, by=None)


def test_an_uploaded_letter_gets_a_shared_text_without_the_name(child, coordinator):
    fulfilment = FulfilmentFactory(claim__wish__child=child)

    letter = upload_letter(
        fulfilment_id=fulfilment.pk, by=coordinator, scan=None, transcription="谢谢您！王小美"
    )

    assert letter.transcription == "谢谢您！王小美"
    assert letter.shared_text == f"谢谢您！{child.alias}"


def test_approving_a_letter_whose_shared_text_names_the_child_is_refused(child, staff):
    fulfilment = FulfilmentFactory(claim__wish__child=child)
    letter = ThankYouLetterFactory(fulfilment=fulfilment, shared_text="谢谢您！王小美")

    with pytest.raises(TransitionError) as refusal:
        approve_letter(letter_id=letter.pk, by=staff)

    assert "王小美" in str(refusal.value)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.PENDING
    assert not letter.preview


def test_the_approve_action_on_a_naming_letter_shows_the_words(child, staff_client):
    fulfilment = FulfilmentFactory(claim__wish__child=child)
    letter = ThankYouLetterFactory(fulfilment=fulfilment, shared_text="谢谢您！王小美")

    response = staff_client.post(
        reverse("admin:wishes_thankyouletter_changelist"),
        {"action": "approve", "index": "0", "_selected_action": [letter.pk]},
        follow=True,
    )

    assert "<mark>王小美</mark>" in response.content.decode()
    letter.refresh_from_db()
    assert letter.status == LetterStatus.PENDING


def test_the_sponsor_reads_the_shared_text_never_the_transcription(
    child, sponsor, staff, client_for
):
    fulfilment = FulfilmentFactory(claim__wish__child=child, claim__sponsor=sponsor_of(sponsor))
    letter = upload_letter(
        fulfilment_id=fulfilment.pk, by=staff, scan=None, transcription="谢谢您的书！王小美"
    )
    approve_letter(letter_id=letter.pk, by=staff)

    page = client_for("sponsor").get(reverse("sponsors:dashboard")).content.decode()

    assert f"谢谢您的书！{child.alias}" in page
    assert "王小美" not in page


def test_no_published_wish_text_names_its_child_in_the_demo(db):
    # The demo data goes through the services: publishing would have refused it.
    call_command("seed_demo", verbosity=0)
    published = Wish.objects.exclude(status=WishStatus.DRAFT).select_related("child__school")

    assert published.exists()
    assert all(is_clean(wish.public_text, child=wish.child) for wish in published)


def test_wish_cards_are_not_printed_while_a_text_names_its_child(child, staff_client):
    clean = WishFactory(open=True)
    named = WishFactory(child=child, open=True, public_text="想和豆豆一起看星星")
    # Recorded behind the admin's back (the admin form would have refused it).
    Child.objects.filter(pk=child.pk).update(private_words="豆豆")

    response = staff_client.post(
        reverse("admin:wishes_wish_changelist"),
        {"action": "print_wish_cards", "index": "0", "_selected_action": [clean.pk, named.pk]},
        follow=True,
    )

    assert response["Content-Type"].startswith("text/html")
    [message] = messages_of(response)
    assert named.code in message and clean.code not in message
