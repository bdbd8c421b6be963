"""common.forms: choice errors that never name the value sent (issue 17)."""

import pytest
from django import forms
from django.utils import translation

from agents.models import Team
from common.forms import CHOOSE_OFFERED, ChoicesNotEchoed

PHRASE = "soda perfect empty rural stay oyster popular detail antenna ready small light"


class EveryChoice(ChoicesNotEchoed, forms.Form):
    one = forms.ChoiceField(choices=[("a", "A")], required=False)
    typed = forms.TypedChoiceField(choices=[(1, "1")], coerce=int, required=False)
    many = forms.MultipleChoiceField(choices=[("a", "A")], required=False)
    hidden = forms.ChoiceField(choices=[("a", "A")], widget=forms.HiddenInput, initial="a")
    own = forms.ChoiceField(
        choices=[("yes", "Yes")], required=False, error_messages={"invalid_choice": "Yes only."}
    )


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Choose one of the options offered."), ("zh-hans", "请从提供的选项中选择一项。")],
)
def test_no_choice_error_names_the_value_sent(language, message):
    data = {"one": PHRASE, "typed": PHRASE, "many": [PHRASE], "hidden": PHRASE, "own": PHRASE}

    with translation.override(language):
        form = EveryChoice(data)
        errors = form.errors.get_json_data()
        page = form.as_div()

    assert PHRASE not in str(errors)
    assert PHRASE not in page
    for name in ("one", "typed", "many", "hidden"):
        assert [error["message"] for error in errors[name]] == [message]
    assert errors["own"] == [{"message": "Yes only.", "code": "invalid_choice"}]
    # The hidden choice is rendered again as it was offered, never as it was sent.
    assert 'name="hidden" value="a"' in page


@pytest.mark.django_db
def test_model_choices_name_no_value_either():
    class TeamForm(ChoicesNotEchoed, forms.Form):
        team = forms.ModelChoiceField(queryset=Team.objects.all())
        teams = forms.ModelMultipleChoiceField(queryset=Team.objects.all())

    form = TeamForm({"team": PHRASE, "teams": [PHRASE]})

    assert form.errors["team"] == [str(CHOOSE_OFFERED)]
    assert form.errors["teams"] == [str(CHOOSE_OFFERED)]
    assert PHRASE not in form.as_div()
