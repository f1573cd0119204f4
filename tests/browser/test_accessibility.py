"""axe-core finds no WCAG 2.2 A/AA violations on any public page, in light or dark."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .support import SCREENSHOTS, axe_violations


def test_no_accessibility_violations_in_light_or_dark(public_page, reader_page):
    _, path = public_page
    page = reader_page
    page.goto(path)
    violations = {}
    for color_scheme in ("light", "dark"):
        page.emulate_media(color_scheme=color_scheme)
        if report := axe_violations(page):
            violations[color_scheme] = report
    assert not violations, "\n".join(f"{scheme}: {report}" for scheme, report in violations.items())


def test_landmarks_have_unique_names(public_page, reader_page):
    """axe's landmark-unique (a best practice, not a WCAG rule, so not in the run above): two
    help boxes on a topic page, or the two search forms on /search/, are told apart (#11)."""
    _, path = public_page
    page = reader_page
    page.goto(path)
    results = Axe().run(page, options={"runOnly": {"type": "rule", "values": ["landmark-unique"]}})
    assert not results.violations_count, results.generate_report()


def test_report_a_problem_journey_with_errors_and_thanks(content, reader_page):
    page = reader_page
    page.goto("/articles/calf-muscle-spasm/causes/")
    page.get_by_role("link", name="Report a problem with this page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a problem with a page")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("alert")).to_contain_text("Your report was not sent yet")
    message = page.get_by_label("What is wrong on this page?")
    expect(message).to_have_attribute("aria-invalid", "true")
    for color_scheme in ("light", "dark"):
        page.emulate_media(color_scheme=color_scheme)
        assert not (report := axe_violations(page)), f"{color_scheme}: {report}"
    page.emulate_media(color_scheme="light")
    page.screenshot(path=SCREENSHOTS / "feedback-with-errors.png", full_page=True)
    expect(page.get_by_label("Leave this empty")).to_be_hidden()
    message.fill("The second reason is hard to follow.")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your report")
    page.get_by_role("link", name="Back to the page").click()
    expect(page).to_have_url(re.compile(r"/articles/calf-muscle-spasm/causes/$"))
