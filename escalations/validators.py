"""Checks for input that reaches the desk outside Django forms: JSON bodies, YAML files, POST fields read directly.

forms.CharField already refuses NUL; PostgreSQL cannot store it in text or JSON at all (the request would end in a
500), and no database stores half of a UTF-16 surrogate pair (which JSON's \\ud800 escapes can produce), so every
other path refuses both with the same words.
"""

import re

from django.core.exceptions import ValidationError

SURROGATE = re.compile("[\ud800-\udfff]")


def refuse_nul_characters(value: str, what: str = "The text") -> str:
    """The value unchanged, or ValidationError naming `what` when it holds a character no database stores."""
    if "\x00" in value:
        raise ValidationError(f"{what} contains a NUL character (\\0), which cannot be stored.")
    if SURROGATE.search(value):
        raise ValidationError(f"{what} contains half of a surrogate pair (\\ud800–\\udfff), which cannot be stored.")
    return value


def whole_number(text, *, digits: int = 9) -> int | None:
    """ASCII digits, at most `digits` of them (nine fit any integer column, 18 a big one); None for anything else.

    `str.isdigit` takes "²" (which int() then refuses) and int() takes "٤٢"; thousands of digits overflow the columns
    and Python's int-string limit: no ticket number or row id looks like that.
    """
    return int(text) if isinstance(text, str) and re.fullmatch(f"[0-9]{{1,{digits}}}", text) else None
