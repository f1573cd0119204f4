"""With JavaScript off every page still reads in full and every link works."""

import re
from urllib.parse import urldefrag

import pytest
from playwright.sync_api import expect

from .support import PUBLIC_PAGES, open_page


@pytest.fixture(scope="module")
def no_js_page(browser, browser_context_args):
    yield from open_page(browser, browser_context_args, java_script_enabled=False)


def test_page_reads_the_same_without_javascript(public_page, no_js_page, reader_page):
    _, path = public_page
    page = reader_page
    page.goto(path)
    no_js_page.goto(path)
    expect(no_js_page.get_by_role("heading", level=1)).to_be_visible()
    main_text = no_js_page.locator("main").inner_text()
    assert main_text == page.locator("main").inner_text()
    assert no_js_page.locator("footer").inner_text() == page.locator("footer").inner_text()


def test_every_link_on_every_page_leads_somewhere(content, no_js_page):
    """Every address a page links to answers, and every #fragment names a place on it."""
    checked = {}
    broken = []
    for path in PUBLIC_PAGES.values():
        no_js_page.goto(path)
        origin = re.match(r"https?://[^/]+", no_js_page.url).group(0)
        hrefs = no_js_page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
        assert hrefs, f"no links on {path}"
        here = urldefrag(no_js_page.url).url
        for href in hrefs:
            address, fragment = urldefrag(href)
            if not address.startswith(origin):
                continue
            if address == here:  # a place on this page, such as the skip link's #main
                html = no_js_page.content()
            else:
                if address not in checked:
                    response = no_js_page.request.get(address)
                    checked[address] = (response.status, response.text())
                status, html = checked[address]
                if status != 200:
                    broken.append(f"{path} -> {href}: {status}")
                    continue
            if fragment and not re.search(rf'\bid="{re.escape(fragment)}"', html):
                broken.append(f"{path} -> {href}: no #{fragment} there")
    assert broken == []


def test_link_to_this_section_is_a_plain_link_to_the_section(content, no_js_page):
    article = "/articles/sleeping-foot-cramp/"
    heading = "How to stop a foot cramp"
    no_js_page.goto(article)
    no_js_page.get_by_role("link", name=f"Link to this section: {heading}").click()
    expect(no_js_page).to_have_url(re.compile(rf"{article}relief/$"))
    expect(no_js_page.get_by_role("heading", level=1)).to_have_text(heading)

    no_js_page.get_by_role("link", name="Link to this section: 2. Massage the pain").click()
    expect(no_js_page).to_have_url(re.compile(rf"{article}relief/#massage-the-pain$"))
    target = no_js_page.locator(":target")
    expect(target).to_have_text("2. Massage the pain")
    expect(target).to_be_in_viewport()
