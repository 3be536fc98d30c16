"""A support manager reads the reports in the browser: changes the period, sees the charts, drills down to a ticket."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in import _sign_in, demo_desk  # noqa: F401 - the fixture is used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A pixel of the canvas that is not transparent: Chart.js drew something.
DRAWN = """canvas => {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
  return false;
}"""


def test_a_manager_changes_the_period_sees_the_trend_drawn_and_drills_down_to_a_ticket(
    page,
    live_server,
    demo_desk,  # noqa: F811
):
    _sign_in(page, live_server, "manager")
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.get_by_label("Period").select_option(label="Last 7 days")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"period=7d"))
    canvas = page.locator('canvas[data-chart="chart-trend"]')
    expect(canvas).to_be_visible()
    page.wait_for_function(
        DRAWN.replace("canvas =>", "() => (canvas =>")
        + ")(document.querySelector('canvas[data-chart=\"chart-trend\"]'))"
    )
    assert canvas.evaluate(DRAWN)
    headline = page.get_by_test_id("table-headline")
    headline.get_by_role("row").filter(has_text="Opened").get_by_role("link").first.click()
    expect(page.get_by_test_id("drilldown-title")).to_contain_text("Opened")
    first = page.get_by_test_id("drilldown").get_by_role("link").first
    reference = first.inner_text()
    first.click()
    expect(page).to_have_url(re.compile(rf"/tickets/{reference}/"))
    expect(page.get_by_test_id("status")).to_be_visible()
