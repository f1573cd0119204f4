"""Keyboard-only reading: the skip link, and a visible focus indicator on every stop."""

from playwright.sync_api import expect

from .support import FOCUSABLE_COUNT_JS, FOCUSED_ELEMENT_JS

# A focus outline must stand out from what is behind it (WCAG 1.4.11, 3:1) and be thick
# enough to see at a glance.
MIN_OUTLINE_CONTRAST = 3
MIN_OUTLINE_WIDTH_PX = 2


def test_skip_link_comes_first_and_jumps_to_the_main_content(content, page):
    page.goto("/articles/calf-muscle-spasm/")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()  # shown on screen once focused

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside the main content, past the site's header links.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
    assert page.evaluate("document.activeElement.closest('header') === null")


def test_every_link_and_control_shows_where_focus_is(public_page, reader_page):
    _, path = public_page
    page = reader_page
    unmarked = {}
    for color_scheme in ("light", "dark"):
        page.emulate_media(color_scheme=color_scheme)
        page.goto(path)
        stops = []
        while len(stops) < 500:
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED_ELEMENT_JS)
            if focused is None:  # past the last stop
                break
            stops.append(focused)
        assert len(stops) == page.evaluate(FOCUSABLE_COUNT_JS), "Tab skips a link or control"
        unmarked[color_scheme] = [
            stop
            for stop in stops
            if stop["outlineStyle"] == "none"
            or stop["outlineWidth"] < MIN_OUTLINE_WIDTH_PX
            or stop["contrast"] < MIN_OUTLINE_CONTRAST
        ]
    assert unmarked == {"light": [], "dark": []}
