"""The benchmark's baselines (bench/urls.py) exist only under bench.settings, never on the site."""

import pytest
from django.test import Client

from tests.factories import WishFactory


@pytest.mark.parametrize("path", ["/bench/bare/", "/bench/listview/"])
def test_the_site_has_no_benchmark_views(db, path):
    assert Client().get(path).status_code == 404


@pytest.mark.urls("bench.urls")
def test_plain_listview_lists_open_wishes_in_the_sites_base_template(settings, db):
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [*settings.TEMPLATES[0]["DIRS"], settings.BASE_DIR / "bench" / "templates"],
        }
    ]
    shown = WishFactory(open=True, public_text="想要一个足球")
    WishFactory(public_text="还是草稿")

    page = Client().get("/bench/listview/")

    assert page.status_code == 200
    assert shown.code in page.text
    assert "还是草稿" not in page.text
    # The navbar of base.html, as on the site's own pages.
    assert 'class="navbar' in page.text
    assert Client().get("/bench/bare/").text == "ok"
