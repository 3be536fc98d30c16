"""Checking a list item by item, so an editor or an import hears of every problem at once."""

from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError


def clean_each(items: Iterable, clean: Callable, label: Callable[[int], str]) -> list:
    """`clean` applied to each item; the problems of all of them raised together, each after its item's label."""
    cleaned, errors = [], []
    for number, item in enumerate(items, start=1):
        try:
            cleaned.append(clean(item))
        except ValidationError as error:
            errors.extend(f"{label(number)}: {message}" for message in error.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned
