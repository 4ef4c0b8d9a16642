"""Share previews: what WeChat shows beside a shared link, and the card pictures behind it."""

import io
import logging
import re

import pytest
from django.urls import reverse
from PIL import Image

from tests.factories import EventFactory, WishFactory
from wishes.models import Wish
from wishes.public import share
from wishes.public.selectors import public_wish

pytestmark = pytest.mark.django_db

# WeChat's built-in browser on an Android phone.
WECHAT = (
    "Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.103 Mobile Safari/537.36 XWEB/1300289 "
    "MMWEBSDK/20241103 MMWEBID/1234 MicroMessenger/8.0.55.2780(0x28003737) WeChat/arm64 "
    "Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)
OG = re.compile(r'<meta (?:property|name)="([a-z:]+)" content="([^"]*)">')


def meta_of(html: str) -> dict[str, str]:
    return dict(OG.findall(html))


@pytest.fixture
def wish():
    return WishFactory(
        open=True,
        public_text="想要一本恐龙百科",
        child__real_name="林秘密",
        child__guardian_name="林家长",
    )


@pytest.fixture
def public_pages(wish):
    event = EventFactory(is_public=True, title="学雷锋日圆梦活动", venue="花木社区中心")
    return {
        "home": reverse("home"),
        "wishes": reverse("wishes:list"),
        "wish": reverse("wishes:detail", args=[wish.pk]),
        "events": reverse("events:list"),
        "event": reverse("events:detail", args=[event.pk]),
        "impact": reverse("impact:index"),
    }


def test_every_public_page_describes_itself_to_wechat(client, public_pages):
    for name, url in public_pages.items():
        response = client.get(url, HTTP_USER_AGENT=WECHAT)
        assert response.status_code == 200, name
        meta = meta_of(response.text)
        for key in ("description", "og:title", "og:description", "og:image", "og:url"):
            assert meta.get(key), f"{name} lacks {key}"
        assert meta["og:image"].startswith("http://testserver/"), name
        assert meta["og:url"] == f"http://testserver{url}", name
        image = client.get(meta["og:image"].removeprefix("http://testserver"))
        assert image.status_code == 200, name
        assert image["Content-Type"] == "image/png"


def test_a_wish_is_shared_with_its_alias_and_public_text_and_its_own_card(client, wish):
    html = client.get(reverse("wishes:detail", args=[wish.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    meta = meta_of(html.text)
    assert wish.child.alias in meta["og:title"]
    assert meta["og:description"] == "想要一本恐龙百科"
    assert meta["og:image"] == f"http://testserver/wishes/{wish.pk}/share.png"


def test_the_wish_card_is_a_500_by_400_png_with_a_cache_header_and_an_etag(client, wish):
    url = reverse("wishes:share_image", args=[wish.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "max-age=3600" in response["Cache-Control"]
    with Image.open(io.BytesIO(response.content)) as picture:
        assert picture.format == "PNG"
        assert picture.size == (500, 400)
    assert len(response.content) < 60_000
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again.content == b""


def test_no_card_for_a_wish_that_is_not_published(client):
    draft = WishFactory()
    assert client.get(reverse("wishes:share_image", args=[draft.pk])).status_code == 404
    assert client.get(reverse("wishes:share_image", args=[999999])).status_code == 404
    assert client.post(reverse("share_image")).status_code == 405


def test_pages_that_show_a_childs_identity_never_describe_themselves(
    client_for, coordinator, school, sponsor
):
    WishFactory(open=True, child__school=school, child__real_name="林秘密")
    for role, url in (
        ("coordinator", reverse("school:overview")),
        ("sponsor", reverse("sponsors:dashboard")),
        ("anonymous", reverse("login")),
    ):
        html = client_for(role).get(url).text
        assert "og:" not in html, url
        assert 'name="description"' not in html, url


def test_no_private_field_reaches_the_preview(client, wish):
    html = client.get(reverse("wishes:detail", args=[wish.pk])).text
    head = html.split("</head>")[0]
    for private in ("林秘密", "林家长", wish.child.guardian_phone, wish.child_words):
        assert private not in head


def test_a_text_that_has_come_to_name_its_child_is_left_off_the_card(wish, caplog):
    # Written past the guard (as an old import might have): the card must still not carry it.
    Wish.objects.filter(pk=wish.pk).update(public_text="我是林秘密，想要一本恐龙百科")
    shown = public_wish(wish.pk)
    assert shown is not None
    with caplog.at_level(logging.WARNING, logger="wishes.public.share"):
        assert share.wish_card_text(shown) == ""
    assert wish.code in caplog.text
    assert "林秘密" not in caplog.text
    clean = public_wish(WishFactory(open=True).pk)
    assert clean is not None
    assert share.wish_card_text(clean) == clean.public_text


def test_a_card_is_drawn_once_and_again_when_what_it_shows_changes(wish, monkeypatch, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    drawn = []
    real = share._draw_card

    def counting(**kwargs):
        drawn.append(kwargs["body"])
        return real(**kwargs)

    monkeypatch.setattr(share, "_draw_card", counting)
    first = public_wish(wish.pk)
    assert first is not None
    one = share.wish_share_card(first, "http://testserver/wishes/1/")
    two = share.wish_share_card(first, "http://testserver/wishes/1/")
    assert one == two
    assert drawn == ["想要一本恐龙百科"]
    Wish.objects.filter(pk=wish.pk).update(public_text="想要一盒彩色铅笔")
    changed = public_wish(wish.pk)
    assert changed is not None
    share.wish_share_card(changed, "http://testserver/wishes/1/")
    assert drawn == ["想要一本恐龙百科", "想要一盒彩色铅笔"]
