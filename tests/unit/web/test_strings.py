"""The page texts: both languages say the same things, and every error code has a message."""

from __future__ import annotations

import re

from consult.web.strings import EN, NL, error_message


def test_dutch_and_english_have_the_same_keys_and_placeholders() -> None:
    assert NL.keys() == EN.keys()
    for key in NL:
        assert set(re.findall(r"{(\w+)}", NL[key])) == set(re.findall(r"{(\w+)}", EN[key])), key


def test_no_key_shadows_a_dict_method() -> None:
    # Templates read t.<key>; Jinja would return dict.items for t.items.
    assert not any(hasattr(dict, key) for key in NL)


def test_error_messages_prefer_the_field_specific_text() -> None:
    assert error_message("nl", "email", "required") == NL["err_required_email"]
    assert error_message("nl", "text-q3", "too_long") == NL["err_too_long_text"]
    assert error_message("en", "name", "too_long") == EN["err_too_long"]
    assert error_message("en", "answer", "no-such-code") == EN["err_invalid"]
    assert error_message("de", "answer", "deadline") == NL["err_deadline"]
