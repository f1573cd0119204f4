"""A reader woken by a cramp, on a phone: the steps on the first screen, in plain English,
with the source's exact words one click away, on screen and on paper."""

import re

import pytest
from playwright.sync_api import expect

from .support import SCREENSHOTS

PHONE = {"width": 390, "height": 844}
SPASM = "/articles/calf-muscle-spasm/"
SLEEP = "/articles/sleeping-foot-cramp/"
RELIEF_SECTIONS = [f"{SPASM}relief/", f"{SLEEP}relief/"]


@pytest.fixture(params=["light", "dark"])
def phone(request, content, new_context):
    """A 390 × 844 phone page in the light or dark colour scheme."""
    context = new_context(viewport=PHONE, color_scheme=request.param)
    page = context.new_page()
    page.scheme = request.param
    return page


def bottom(locator):
    box = locator.bounding_box()
    return box["y"] + box["height"]


def first_line_visible(locator, page):
    """The element's top and its first line of text are inside the window, unscrolled."""
    box = locator.bounding_box()
    line = float(locator.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
    return page.evaluate("window.scrollY") == 0 and box["y"] + line <= PHONE["height"]


@pytest.mark.parametrize("path", ["/", "/relief/"])
def test_the_during_a_cramp_box_and_its_first_step_are_on_the_first_screen(phone, path):
    phone.goto(path)
    box = phone.locator(".now-box")
    heading = box.get_by_role("heading", name="During a cramp")
    first_step = box.locator("li").first
    expect(first_step).to_contain_text("Pull your toes up")
    assert phone.evaluate("window.scrollY") == 0
    assert bottom(heading) <= PHONE["height"]
    assert bottom(first_step) <= PHONE["height"], first_step.bounding_box()


@pytest.mark.parametrize("path", ["/relief/", *RELIEF_SECTIONS])
def test_the_top_of_the_page_leaves_room_for_the_first_instruction(phone, path):
    phone.goto(path)
    main = phone.locator("main")
    # What stands before the instructions: header, breadcrumb, credit and date.
    furniture = [phone.locator("header.site-header"), main.locator(".breadcrumb")]
    if path != "/relief/":
        furniture += [main.locator("p.credit").first, main.locator("p.currency").first]
    used = sum(item.bounding_box()["height"] for item in furniture)
    assert used < PHONE["height"] / 3, f"{used}px of {PHONE['height']}px"
    first_instruction = main.locator(".now-box li, .plain li").first
    assert first_line_visible(first_instruction, phone), first_instruction.bounding_box()


def test_screenshots_of_the_pages_a_reader_at_night_sees(phone):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = {
        "home": "/",
        "relief": "/relief/",
        "section": f"{SPASM}relief/",
        "source": f"{SPASM}source/#tilt-your-toes-up-as-67e8",
    }
    for name, path in pages.items():
        phone.goto(path)
        expect(phone.get_by_role("heading", level=1)).to_be_visible()
        phone.screenshot(path=SCREENSHOTS / f"plain-{name}--phone-390-{phone.scheme}.png")


def test_a_source_link_lands_on_the_highlighted_sentence_without_javascript(content, new_context):
    page = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    page.goto(f"{SPASM}relief/")
    step = page.locator(".plain li").first
    step.locator(".cite a").nth(1).click()
    expect(page).to_have_url(re.compile(rf"{SPASM}source/#tilt-your-toes-up-as-67e8$"))
    target = page.locator(".sentence:target")
    expect(target).to_have_count(1)
    expect(target).to_have_text(
        "Tilt your toes up as far as possible, lower your heels as far as possible, and "
        "straighten your knees to relieve cramps;"
    )
    expect(target).to_be_in_viewport()
    background = "el => getComputedStyle(el).backgroundColor"
    other = page.locator(".sentence:not(:target)").first
    assert target.evaluate(background) != other.evaluate(background)


@pytest.mark.parametrize("path", [f"{SPASM}relief/", SPASM, "/relief/"])
def test_print_keeps_the_labels_and_the_wording_as_published(content, reader_page, path):
    page = reader_page
    page.emulate_media(media="print")
    page.goto(path)
    expect(page.locator(".plain").first).to_be_visible()
    label = page.get_by_text("As published: machine translation from Chinese").first
    expect(label).to_be_visible()
    published = page.locator(".as-published", has_text="immediately reach out and grab the toe")
    expect(published).to_be_visible()
    expect(page.get_by_text(re.compile("machine-translated from Chinese")).first).to_be_visible()
    page.emulate_media(media="screen")
