"""The editorial workflow in a real browser: drafts and preview, two editors at once, history
and restore, and images; each checked from the reader's side as well."""

import re
from io import BytesIO
from pathlib import Path

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from PIL import Image
from playwright.sync_api import expect

from articles.models import Section

from .support import axe_violations, sideways_overflow

SPASM = "/articles/calf-muscle-spasm/"
SPASM_TITLE = "How to treat and recover calf muscle spasm?"
SPASM_RELIEF = "How to stop a leg cramp: three steps"
FOOT_RELIEF = "How to stop a foot cramp"
NOT_FOUND = "Page not found"
IMAGE_WIDTH, IMAGE_HEIGHT = 40, 30
UPLOADED_IMAGE = (
    rf"!\[\]\((/media/uploads/[0-9a-f]{{32}}\.png)\)\{{width={IMAGE_WIDTH} height={IMAGE_HEIGHT}\}}"
)

# A DataTransfer holding one file made from the bytes passed in, as a drag and drop carries it.
DATA_TRANSFER_JS = """([name, type, bytes]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
  return transfer;
}"""
# The width in pixels of the file the browser chose and decoded (its srcset would scale
# naturalWidth: read it from that file alone); 0 when it cannot be shown.
NATURAL_WIDTH_JS = """(img) => img.decode().then(() => {
  const file = new Image();
  file.src = img.currentSrc;
  return file.decode().then(() => file.naturalWidth);
}, () => 0)"""


@pytest.fixture
def spasm_relief(content):
    return Section.objects.select_related("article").get(
        article__slug="calf-muscle-spasm", slug="relief"
    )


@pytest.fixture
def foot_relief(content):
    return Section.objects.select_related("article").get(
        article__slug="sleeping-foot-cramp", slug="relief"
    )


def change_url(section):
    return f"/admin/articles/section/{section.pk}/change/"


def save(page, button="Save draft"):
    page.get_by_role("button", name=button, exact=True).click()


def expect_not_found(response, page):
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(NOT_FOUND)


def drop_file(page, target, name, content_type, data):
    """Drop a file onto target, as dragging it from the desktop does."""
    transfer = page.evaluate_handle(DATA_TRANSFER_JS, [name, content_type, list(data)])
    target.dispatch_event("drop", {"dataTransfer": transfer})


def png_bytes(size=(IMAGE_WIDTH, IMAGE_HEIGHT)):
    buffer = BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_draft_is_gone_for_readers_and_opens_in_the_editors_preview(
    spasm_relief, log_in_editor, page
):
    reader = page
    reader.goto(SPASM)  # readers see it first (and the page cache keeps this copy)
    expect(reader.get_by_role("heading", level=2, name=SPASM_RELIEF)).to_be_visible()

    editor = log_in_editor("editor")
    editor.goto(change_url(spasm_relief))
    editor.get_by_role("link", name="Unpublish…").click()
    expect(editor.locator("#content-main")).to_contain_text("answers “Page not found”")
    editor.get_by_role("button", name="Yes, unpublish it").click()
    expect(editor.locator(".messagelist")).to_contain_text("is unpublished")

    reader.goto(SPASM)
    expect(reader.get_by_role("heading", level=1)).to_have_text(SPASM_TITLE)
    expect(reader.locator("main")).not_to_contain_text(SPASM_RELIEF)
    reader.goto("/relief/")
    expect(reader.get_by_role("heading", level=2, name=FOOT_RELIEF)).to_be_visible()
    expect(reader.locator("main")).not_to_contain_text(SPASM_RELIEF)
    expect_not_found(reader.goto(spasm_relief.get_absolute_url()), reader)

    editor.get_by_role("link", name="View on site").click()
    expect(editor).to_have_url(re.compile(rf"/preview{SPASM}relief/$"))
    expect(editor.locator(".preview-banner")).to_contain_text("Preview for editors")
    expect(editor.get_by_role("heading", level=1)).to_have_text(SPASM_RELIEF)
    expect(editor.get_by_text("Draft: readers do not see this section yet.")).to_be_visible()

    expect_not_found(reader.goto(editor.url), reader)
    expect(reader.locator("main")).not_to_contain_text(SPASM_RELIEF)


def test_the_second_of_two_editors_is_told_who_saved_first_and_keeps_their_text(
    spasm_relief, log_in_editor, page, settings
):
    settings.PUBLISHING_NEEDS_REVIEW = False  # editors publish their own changes
    first = log_in_editor("ada", first_name="Ada", last_name="Okafor")
    second = log_in_editor("ben", first_name="Ben", last_name="Hall")
    first.goto(change_url(spasm_relief))
    second.goto(change_url(spasm_relief))
    expect(second.get_by_role("note")).to_contain_text("Ada Okafor opened it at")

    first.locator("textarea#id_body").fill(spasm_relief.body.replace("a hot towel", "a warm towel"))
    save(first, "Save and publish")
    expect(first.locator(".messagelist")).to_contain_text("is published")

    body = second.locator("textarea#id_body")
    body.press("Control+End")
    second.keyboard.type("\n\nBen's words: stretch the calf before bed.")
    typed = body.input_value()
    save(second, "Save and publish")
    saved = spasm_relief.last_change()
    when = date_format(timezone.localtime(saved.history_date), "DATETIME_FORMAT")
    expect(second.locator(".messagelist .error")).to_contain_text(
        f"Ada Okafor saved this section at {when}, after you opened it, so your changes have "
        "not been saved."
    )
    # The form now holds Ada's version; Ben's text is beside what Ada changed.
    expect(body).to_have_value(re.compile("a warm towel"))
    conflict = second.get_by_role("region", name="Your changes, not saved")
    expect(conflict.locator(".history-diff del")).to_have_text("hot ")
    expect(conflict.locator(".history-diff ins")).to_have_text("warm ")
    expect(conflict.get_by_label("Body: your text")).to_have_value(typed.replace("\r\n", "\n"))
    # Post/Redirect/Get: a reload asks nothing and sends nothing; Ben's text is still there.
    second.reload()
    expect(conflict.get_by_label("Body: your text")).to_have_value(typed.replace("\r\n", "\n"))
    expect(body).to_have_value(re.compile("a warm towel"))
    violations = axe_violations(second)
    assert not violations, violations

    page.goto(spasm_relief.get_absolute_url())
    expect(page.locator("main")).to_contain_text("you can use a warm towel for local hot compress")
    expect(page.locator("main")).not_to_contain_text("Ben's words")


def test_history_shows_the_change_word_by_word_and_revert_brings_the_old_text_back(
    foot_relief, log_in_editor, django_user_model, page, settings
):
    settings.PUBLISHING_NEEDS_REVIEW = False  # editors publish their own changes
    editor = log_in_editor("okafor", first_name="Ada", last_name="Okafor")
    # The change is saved here, as if in the admin: the other tests drive the editing itself.
    foot_relief.body = foot_relief.body.replace("knead the cramped area", "rub the cramped area")
    foot_relief._history_user = django_user_model.objects.get(username="okafor")
    foot_relief.save()
    page.goto(foot_relief.get_absolute_url())
    expect(page.locator("main")).to_contain_text("rub the cramped area")

    editor.goto(change_url(foot_relief))
    editor.get_by_role("link", name="History").click()
    rows = editor.locator("#change-history tbody tr")
    newest = rows.first
    expect(newest.locator(".history-diff del")).to_have_text("knead")
    expect(newest.locator(".history-diff ins")).to_have_text("rub")
    # Who changed it, by name; not a link to their account, which editors cannot open.
    expect(newest.get_by_role("cell", name="Ada Okafor", exact=True)).to_be_visible()
    expect(newest.get_by_role("link", name="Ada Okafor")).to_have_count(0)

    # Any two versions: by default the newest against the one before it.
    editor.get_by_role("button", name="Compare").click()
    expect(editor.get_by_role("heading", level=1)).to_have_text(
        f"Compare versions: {foot_relief.heading}"
    )
    expect(editor.locator(".history-diff del")).to_have_text("knead")
    expect(editor.locator(".history-diff ins")).to_have_text("rub")
    editor.get_by_role("link", name="Back to the history").click()

    rows.nth(1).get_by_role("link", name=foot_relief.heading).click()
    expect(editor.locator("textarea#id_body")).to_have_value(re.compile("knead the cramped area"))
    editor.get_by_role("button", name="Revert").click()
    expect(editor.locator(".messagelist")).to_contain_text("Reverted to the version of ")
    expect(editor.locator(".messagelist")).not_to_contain_text("changed successfully")
    # The page is live: the reverted text is a draft until it is published.
    page.goto(foot_relief.get_absolute_url())
    expect(page.locator("main")).to_contain_text("rub the cramped area")
    editor.goto(change_url(foot_relief))
    save(editor, "Save and publish")
    editor.goto(change_url(foot_relief))
    editor.get_by_role("link", name="History").click()
    expect(rows.first).to_contain_text("Published by Ada Okafor")
    expect(rows.first.get_by_role("cell", name="Ada Okafor", exact=True)).to_be_visible()

    page.goto(foot_relief.get_absolute_url())
    expect(page.locator("main")).to_contain_text("knead the cramped area")
    expect(page.locator("main")).not_to_contain_text("rub the cramped area")


def test_a_dropped_png_shows_in_preview_and_page_and_an_svg_is_refused_with_the_reason(
    foot_relief, log_in_editor, page, settings
):
    editor = log_in_editor("ada")
    editor.goto(change_url(foot_relief))
    body = editor.locator("textarea#id_body")
    preview = editor.locator(".markdownx:has(#id_body) .markdownx-preview")
    expect(preview).to_contain_text("Massage the pain")  # the editor is ready

    body.press("Control+End")
    editor.keyboard.type("\n\n")
    drop_file(editor, body, "calf.png", "image/png", png_bytes())
    expect(body).to_have_value(re.compile(rf"\n\n{UPLOADED_IMAGE}$"))
    src = re.search(UPLOADED_IMAGE, body.input_value()).group(1)
    expect(preview.locator("img")).to_have_attribute("src", src)
    assert preview.locator("img").evaluate(NATURAL_WIDTH_JS) == IMAGE_WIDTH

    with_image = body.input_value()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="5"/></svg>'
    drop_file(editor, body, "diagram.svg", "image/svg+xml", svg)
    refused = editor.locator(".markdownx").get_by_role("alert")
    expect(refused).to_have_text(
        "Only PNG, JPEG and WebP images can be uploaded. SVG is not accepted."
    )
    expect(refused).to_have_class(re.compile(r"\bupload-error\b"))
    expect(body).to_have_value(with_image)  # no "Invalid response" typed into the text
    uploads = Path(settings.MEDIA_ROOT) / "uploads"
    # The PNG and its WebP copy (no narrower ones: it is narrower than them); no SVG.
    assert sorted(path.suffix for path in uploads.iterdir()) == [".png", ".webp"]

    save(editor)
    expect(editor.locator(".messagelist .warning")).to_contain_text(
        "1 image(s) have no description (alt text)"
    )

    # The draft's preview shows the image as readers will see it.
    editor.goto(f"/preview{foot_relief.get_absolute_url()}")
    image = editor.locator("main .prose img")
    expect(image).to_have_attribute("src", src)
    assert image.evaluate(NATURAL_WIDTH_JS) == IMAGE_WIDTH
    expect(editor.locator("main")).not_to_contain_text("Invalid response")


# The image's rendered box and the width of the column it sits in, in CSS pixels.
IMAGE_BOX_JS = """(img) => {
  const box = img.getBoundingClientRect();
  const column = img.closest(".prose");
  const style = getComputedStyle(column);
  const inner = column.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return { width: box.width, height: box.height, column: inner };
}"""


def test_a_wide_uploaded_image_fits_a_phone_screen_on_every_page_that_shows_it(
    foot_relief, log_in_editor, new_context, settings
):
    settings.PUBLISHING_NEEDS_REVIEW = False  # editors publish their own changes
    editor = log_in_editor("ada")
    editor.goto(change_url(foot_relief))
    body = editor.locator("textarea#id_body")
    expect(editor.locator(".markdownx:has(#id_body) .markdownx-preview")).to_contain_text(
        "Massage the pain"
    )
    body.press("Control+End")
    editor.keyboard.type("\n\n")
    drop_file(editor, body, "wide.png", "image/png", png_bytes((1200, 800)))
    expect(body).to_have_value(re.compile(r"\{width=1200 height=800\}$"))
    body.fill(body.input_value().replace("![]", "![A teal test card]"))
    save(editor, "Save and publish")
    expect(editor.locator(".messagelist")).to_contain_text("is published")

    phone = new_context(viewport={"width": 390, "height": 844}).new_page()
    article = foot_relief.article.get_absolute_url()
    for path in (foot_relief.get_absolute_url(), article, "/relief/"):
        phone.goto(path)
        image = phone.get_by_role("img", name="A teal test card")
        expect(image).to_have_attribute("width", "1200")  # its place is kept while it loads
        expect(image).to_have_attribute("height", "800")
        # The phone loads the narrowest copy, in WebP, not the 1200 px original.
        assert image.evaluate(NATURAL_WIDTH_JS) == 480
        assert image.evaluate("(img) => img.currentSrc").endswith("-480.webp")
        box = image.evaluate(IMAGE_BOX_JS)
        assert 0 < box["width"] <= box["column"] < 390, (path, box)
        assert box["height"] == pytest.approx(box["width"] * 800 / 1200, abs=1), (path, box)
        assert sideways_overflow(phone) == 0, path


def rename(editor, section, slug):
    editor.goto(change_url(section))
    editor.get_by_label("Slug").fill(slug)
    save(editor, "Save and publish")
    expect(editor.locator(".messagelist")).to_contain_text("is published")


def test_renaming_a_section_and_back_never_loops_a_browser_that_followed_the_redirect(
    foot_relief, log_in_editor, page, settings
):
    settings.PUBLISHING_NEEDS_REVIEW = False  # editors publish their own changes
    article = foot_relief.article.get_absolute_url()
    old, new = f"{article}relief/", f"{article}stop-a-foot-cramp/"
    editor = log_in_editor("ada")
    rename(editor, foot_relief, "stop-a-foot-cramp")
    page.goto(old)  # the reader's browser follows (and may keep) the 301
    expect(page).to_have_url(re.compile(f"{new}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(FOOT_RELIEF)

    rename(editor, foot_relief, "relief")
    for address in (old, new):
        response = page.goto(address)
        expect(page).to_have_url(re.compile(f"{old}$"))
        assert response.status == 200
        expect(page.get_by_role("heading", level=1)).to_have_text(FOOT_RELIEF)
