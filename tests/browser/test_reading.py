"""A reader's journeys through the site, in a real browser with JavaScript on."""

import re

from playwright.sync_api import expect

from .support import PUBLIC_PAGES

ARTICLE = "/articles/calf-muscle-spasm/"
RELIEF_HEADING = "How to stop a leg cramp: three steps"


def test_stylesheet_and_script_load_on_every_public_page(content, page):
    static_status = {}
    script_errors = []

    def record(response):
        if "/static/" in response.url:
            static_status[response.url.split("/static/", 1)[1]] = response.status

    def record_error(message):
        # A 404 is expected for the not-found page itself and the browser's favicon request;
        # anything else (a script error, a Content-Security-Policy refusal) is a fault.
        if message.type == "error" and "status of 404" not in message.text:
            script_errors.append(f"{page.url}: {message.text}")

    page.on("response", record)
    page.on("console", record_error)
    page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
    for path in PUBLIC_PAGES.values():
        page.goto(path)
        # Without site.css the skip link would sit at the top of every page.
        skip_link = page.locator(".skip-link").bounding_box()
        assert skip_link["y"] + skip_link["height"] <= 0, f"site.css not applied on {path}"
    # Hashed names (site.1a2b3c.css) would be fine too.
    loaded = {re.sub(r"\.[0-9a-f]{12}\.", ".", name) for name in static_status}
    assert {"css/site.css", "js/share.js"} <= loaded
    assert all(status == 200 for status in static_status.values()), static_status
    assert script_errors == []


def test_topic_to_section_page_to_its_place_in_the_article(content, page):
    page.goto("/")
    page.get_by_role("link", name=re.compile(r"^How to stop a cramp now")).click()
    expect(page).to_have_url(re.compile(r"/relief/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("How to stop a cramp now")

    section = page.locator("section").filter(
        has=page.get_by_role("heading", level=2, name=RELIEF_HEADING)
    )
    section.get_by_role("link", name="This section on its own page").click()
    expect(page).to_have_url(re.compile(rf"{ARTICLE}relief/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(RELIEF_HEADING)

    page.get_by_role("link", name="Read the whole article").click()
    expect(page).to_have_url(re.compile(rf"{ARTICLE}#relief$"))
    target = page.locator(":target")
    expect(target).to_have_id("relief")
    expect(target).to_have_text(RELIEF_HEADING)
    expect(target).to_be_in_viewport()
    # Scrolled down to it: the article's title is off screen.
    expect(page.get_by_role("heading", level=1)).not_to_be_in_viewport()


def test_link_to_this_section_copies_the_address_and_it_opens_the_section(content, new_context):
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(ARTICLE)
    page.get_by_role("link", name=f"Link to this section: {RELIEF_HEADING}").click()

    address = f"{page.url.split('#')[0]}relief/"
    status = page.get_by_role("status")
    expect(status).to_have_text(f"Link copied: {address}")
    expect(status).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == address
    expect(page).to_have_url(re.compile(rf"{ARTICLE}$"))  # copying does not navigate away

    opened = context.new_page()
    opened.goto(address)
    expect(opened.get_by_role("heading", level=1)).to_have_text(RELIEF_HEADING)


def test_link_to_a_subheading_copies_an_address_that_scrolls_to_it(content, new_context):
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto("/relief/")
    page.get_by_role("link", name="Link to this section: 2. Massage the pain").click()

    address = f"{page.url}#massage-the-pain"
    expect(page.get_by_role("status")).to_have_text(f"Link copied: {address}")
    assert page.evaluate("navigator.clipboard.readText()") == address

    opened = context.new_page()
    opened.goto(address)
    target = opened.locator(":target")
    expect(target).to_have_text("2. Massage the pain")
    expect(target).to_be_in_viewport()


def test_chromium_loads_every_pages_share_image(content, page):
    """Each page's og:image (#11) is an image Chromium can show, at the size the tags state."""
    images = {}
    for name, path in PUBLIC_PAGES.items():
        page.goto(path)
        image = page.locator('meta[property="og:image"]')
        if not image.count():
            continue  # search and the report form are not for sharing: they have no preview
        images[name] = image.get_attribute("content")
    assert {"home", "relief", "causes", "prevention"} <= set(images)
    sections = [url for name, url in images.items() if name.startswith("section-")]
    assert len(sections) == 6 and len(set(sections)) == 6
    for url in set(images.values()):
        response = page.goto(url)
        assert response.ok and response.headers["content-type"] == "image/png", url
        size = page.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]")
        assert size == [1200, 630], url
