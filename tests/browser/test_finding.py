"""A reader finding things: search from any page's header, and the "when to get help" box."""

import re

import pytest
from playwright.sync_api import expect

WORD = "massage"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_search_from_the_header_lands_on_the_matching_subheading(content, new_context, javascript):
    # A phone-sized window, so the section page is long enough to scroll to the subheading.
    context = new_context(java_script_enabled=javascript, viewport={"width": 390, "height": 700})
    page = context.new_page()
    page.goto("/causes/")
    header = page.locator("header")
    header.get_by_role("searchbox", name="Search the articles").fill(WORD)
    header.get_by_role("button", name="Search").click()

    expect(page).to_have_url(re.compile(rf"/search/\?q={WORD}$"))
    results = page.locator("ol.results > li")
    expect(results.first).to_be_visible()
    highlighted = page.locator("ol.results mark").all_inner_texts()
    assert highlighted, "no matched word is highlighted"
    assert all(re.fullmatch(r"massag\w*", word, re.IGNORECASE) for word in highlighted), highlighted

    first = results.first.get_by_role("link")
    section_heading, _, subheading = first.inner_text().partition(" › ")
    assert subheading, f"the best result should be a subheading: {first.inner_text()}"
    href = first.get_attribute("href")
    first.click()

    expect(page).to_have_url(re.compile(rf"{re.escape(href)}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(section_heading)
    target = page.locator(":target")
    expect(target).to_have_text(subheading)
    expect(target).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0, "the page did not scroll to the subheading"


def test_help_box_is_a_complementary_region_named_when_to_get_help(content, reader_page):
    page = reader_page
    page.goto("/articles/calf-muscle-spasm/causes/")
    callout = page.get_by_role("complementary", name=re.compile(r"^When to get help"))
    expect(callout).to_be_visible()
    expect(callout).to_contain_text("See a doctor soon")
    expect(callout).to_contain_text("You should go to the hospital")

    # What Chromium itself hands to screen readers (get_by_role computes roles on its own).
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    regions = [
        node["name"]["value"]
        for node in nodes
        if not node["ignored"] and node.get("role", {}).get("value") == "complementary"
    ]
    assert [name for name in regions if name.startswith("When to get help")] == [
        "When to get help: See a doctor soon"
    ], regions
