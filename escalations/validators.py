"""Checks for input that reaches the desk outside Django forms: JSON bodies, YAML files, POST fields read directly.

forms.CharField already refuses NUL; PostgreSQL cannot store it in text or JSON at all (the request would end in a
500), and no database stores half of a UTF-16 surrogate pair (which JSON's \\ud800 escapes can produce), so every
other path refuses both with the same words.
"""

import re

from django.core.exceptions import ValidationError

WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
SURROGATE = re.compile("[\ud800-\udfff]")


def refuse_nul_characters(value: str, what: str = "The text") -> str:
    """The value unchanged, or ValidationError naming `what` when it holds a character no database stores."""
    if "\x00" in value:
        raise ValidationError(f"{what} contains a NUL character (\\0), which cannot be stored.")
    if SURROGATE.search(value):
        raise ValidationError(f"{what} contains half of a surrogate pair (\\ud800–\\udfff), which cannot be stored.")
    return value


def whole_number(text) -> int | None:
    """ASCII digits, at most nine of them; None for anything else.

    `int()` and `str.isdigit` take "²" and other Unicode digits (int() then fails), and thousands of digits overflow
    the integer columns and Python's int-string limit: no ticket or row number looks like that.
    """
    return int(text) if isinstance(text, str) and WHOLE_NUMBER.fullmatch(text) else None
