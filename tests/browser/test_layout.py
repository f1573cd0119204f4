"""Every page fits narrow and zoomed screens with readable text, and prints cleanly."""

import pytest
from playwright.sync_api import expect

from .support import SCREENSHOTS, open_page, sideways_overflow, text_smaller_than

MIN_TEXT_PX = 16

SCREENS = {
    # The narrowest screen WCAG 1.4.10 (reflow) asks a page to work on without sideways scrolling.
    "phone-320": {"viewport": {"width": 320, "height": 640}},
    "phone-390": {"viewport": {"width": 390, "height": 844}},
    "desktop-1280": {"viewport": {"width": 1280, "height": 800}},
    # A 1280 px desktop window zoomed to 200% (WCAG 1.4.4): browser zoom halves the CSS viewport
    # to 640 px and draws each CSS pixel with two device pixels, so media queries and layout see
    # exactly this. CSS `zoom` on <html> would not: the viewport and media queries stay at 1280.
    "desktop-1280-zoom-200": {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2},
}
SCREENSHOT_SCREENS = {"phone-390", "desktop-1280"}


@pytest.fixture(scope="module")
def screens(browser, browser_context_args):
    """A page for each screen size, each in its own context, kept open for the whole module."""
    openers = {name: open_page(browser, browser_context_args, **SCREENS[name]) for name in SCREENS}
    yield {name: next(opener) for name, opener in openers.items()}
    for opener in openers.values():
        next(opener, None)


def test_page_fits_every_screen_with_readable_text(public_page, screens):
    name, path = public_page
    problems = {}
    for screen, page in screens.items():
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_in_viewport()
        if screen in SCREENSHOT_SCREENS:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENSHOTS / f"{name}--{screen}.png", full_page=True)
        if (overflow := sideways_overflow(page)) > 0:
            problems[screen] = f"scrolls sideways by {overflow}px"
        elif small := text_smaller_than(page, MIN_TEXT_PX):
            problems[screen] = f"text smaller than {MIN_TEXT_PX}px: {small}"
    assert problems == {}


def test_printout_has_the_content_and_its_address_without_controls(public_page, reader_page):
    _, path = public_page
    page = reader_page
    page.emulate_media(media="print")
    page.goto(path)
    expect(page.locator("header nav")).to_be_hidden()
    expect(page.locator(".skip-link")).to_be_hidden()
    for permalink in page.locator("a.permalink").all():
        expect(permalink).to_be_hidden()
    expect(page.locator("main")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("p.print-url")).to_be_visible()
    expect(page.locator("p.print-url")).to_contain_text(page.url)
