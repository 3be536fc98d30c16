"""Input that reaches the desk outside Django forms: odd numbers and characters are refused, never a 500."""

import pytest
from django.urls import reverse

from escalations.validators import whole_number

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("up_to", ["²", "9" * 5000, "-1", " 7", "1e3"])
def test_mark_all_read_ignores_a_number_that_is_not_one(client, desk, up_to):
    client.force_login(desk.l1_agent)
    response = client.post(reverse("escalations:notifications"), {"up_to": up_to})
    assert response.status_code == 302


@pytest.mark.parametrize(("text", "number"), [("42", 42), ("007", 7), ("²", None), ("٤٢", None), ("4 2", None)])
def test_a_whole_number_is_ascii_digits_only(text, number):
    assert whole_number(text) == number


def test_a_whole_number_has_a_bounded_length():
    assert whole_number("9" * 9) == 999_999_999
    assert whole_number("9" * 10) is None
    assert whole_number("9" * 18, digits=18) == 10**18 - 1
