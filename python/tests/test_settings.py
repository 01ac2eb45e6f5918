"""Integer settings from the environment (snakepit/settings.py): a default when unset, and a message
naming the variable, the value and the rule when a value breaks it."""
import pytest

from snakepit.settings import SettingError, int_setting


@pytest.mark.parametrize("text", [None, "", "  "])
def test_an_unset_or_blank_setting_takes_its_default(monkeypatch, text):
    if text is None:
        monkeypatch.delenv("SNAKEPIT_TEST_SETTING", raising=False)
    else:
        monkeypatch.setenv("SNAKEPIT_TEST_SETTING", text)
    assert int_setting("SNAKEPIT_TEST_SETTING", 17, 1) == 17


def test_a_setting_at_or_above_its_minimum_is_read(monkeypatch):
    monkeypatch.setenv("SNAKEPIT_TEST_SETTING", " 20 ")
    assert int_setting("SNAKEPIT_TEST_SETTING", 17, 20) == 20


@pytest.mark.parametrize("text,message", [
    ("lots", "SNAKEPIT_TEST_SETTING='lots' is not an integer"),
    ("1.5", "SNAKEPIT_TEST_SETTING='1.5' is not an integer"),
    ("19", "SNAKEPIT_TEST_SETTING=19 is below the minimum of 20"),
])
def test_a_bad_setting_names_the_variable_the_value_and_the_rule(monkeypatch, text, message):
    monkeypatch.setenv("SNAKEPIT_TEST_SETTING", text)
    with pytest.raises(SettingError) as err:
        int_setting("SNAKEPIT_TEST_SETTING", 17, 20)
    assert str(err.value) == message
    assert isinstance(err.value, ValueError)
