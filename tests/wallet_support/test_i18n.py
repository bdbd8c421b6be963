"""Two languages from the first page, and catalogues that ship compiled."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.mark.django_db
def test_language_switch_sets_the_language_of_later_pages(client):
    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": "/"}, HTTP_REFERER="/"
    )

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = client.get("/")
    assert page["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans"' in page.content.decode()
    assert "需要什么帮助" in page.content.decode()

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get("/")
    assert page["Content-Language"] == "en"
    assert "How can we help?" in page.content.decode()


@pytest.mark.django_db
def test_accept_language_picks_chinese_for_a_new_visitor(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")

    assert page["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_unknown_language_falls_back_to_default(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR")

    assert page["Content-Language"] == settings.LANGUAGE_CODE


@pytest.mark.django_db
def test_language_switcher_is_a_csrf_protected_form(client):
    page = client.get("/").content.decode()

    assert f'action="{reverse("set_language")}"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'name="language"' in page


def test_catalogue_compiled_and_complete():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    mo = polib.mofile(str(CATALOGUE / "django.mo"))

    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in mo}
    for entry in po.translated_entries():
        if entry.msgid_plural:
            continue
        assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, entry.msgid
