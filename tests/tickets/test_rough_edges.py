"""The contact form's and the ticket page's rough edges, filed in issue 18."""

import re

import pytest
from django.utils import translation

from tests.support.factories import VALID_BTC_TXID, contact_data
from tickets.forms import ContactForm
from tickets.models import ProblemType, Ticket
from tickets.validators import description_weight

CONTACT = "/contact/"
TWENTY_NINE_CHINESE = "我昨天晚上提现到银行卡，三千元一直显示处理中，到现在还没有到账。"[:29]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("problem_type", "selects"),
    [
        (ProblemType.ABNORMAL_TRANSACTION, ["network", "status_shown"]),
        (ProblemType.TOPUP_WITHDRAWAL, ["method"]),
    ],
)
def test_contact_form_preselects_no_choice(client, problem_type, selects):
    page = client.get(f"{CONTACT}?type={problem_type}").content.decode()
    page = page[page.index("data-contact-form") : page.rindex("</form>")]

    assert not re.search(r'<option value="[^"]+"[^>]* selected', page)
    assert "checked" not in page
    for name in selects:
        select = re.search(
            rf'<select name="{name}"[^>]*>\s*<option value=""[^>]*>([^<]+)</option>', page
        )
        assert select, name
        assert select.group(1) == "Choose…"
        assert "required" in select.group(0)


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "message"), [("en", "Choose one"), ("zh-hans", "请从选项中")])
def test_contact_missing_choice_is_refused_in_the_users_language(client, language, message):
    data = contact_data(ProblemType.ABNORMAL_TRANSACTION, network="", status_shown="")

    response = client.post(
        f"{CONTACT}?type=abnormal_transaction", data, HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 400
    assert response.content.decode().count(message) == 2
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_contact_accepts_a_clear_29_character_chinese_description():
    assert len(TWENTY_NINE_CHINESE) == 29
    data = contact_data(ProblemType.OTHER, description=TWENTY_NINE_CHINESE)

    form = ContactForm(data, problem_type=ProblemType.OTHER)

    assert form.is_valid(), form.errors


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("description", "language", "message"),
    [
        ("我的账户有问题请帮忙", "zh-hans", "至少 15 个汉字"),
        ("my account has a problem", "en", "at least 30 characters, or 15 in Chinese"),
        ("帐户\u200b" * 5 + "  " * 20, "en", "at least 30 characters"),  # padding does not count
    ],
)
def test_contact_short_description_gets_the_projects_message(description, language, message):
    data = contact_data(ProblemType.OTHER, description=description)

    with translation.override(language):
        form = ContactForm(data, problem_type=ProblemType.OTHER)
        errors = [str(error) for error in form.errors.get("description", [])]

    assert any(message in error for error in errors), errors
    assert not any("确保该变量" in error or "Ensure this value" in error for error in errors)


def test_description_weight_counts_chinese_double_and_invisible_nothing():
    assert description_weight("abc") == 3
    assert description_weight("提现") == 4
    assert description_weight("提\u200b现\ufeff") == 4
    assert description_weight("a   b") == 3


@pytest.mark.django_db
def test_contact_textarea_has_no_browser_minimum_that_refuses_chinese(client):
    page = client.get(f"{CONTACT}?type=other").content.decode()

    assert "minlength" not in re.search(r"<textarea[^>]*>", page).group(0)


@pytest.mark.django_db
def test_ticket_page_shows_the_hash_once(client, django_capture_on_commit_callbacks):
    data = contact_data(
        ProblemType.ABNORMAL_TRANSACTION, network="bitcoin", transaction_hash=VALID_BTC_TXID
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{CONTACT}?type=abnormal_transaction", data)
    location = response["Location"].replace("submitted/", "")

    page = client.get(location).content.decode()

    visible = re.sub(r'href="[^"]*"', "", page)
    assert visible.count(VALID_BTC_TXID) == 1
    assert "Transaction ID or hash" not in page
