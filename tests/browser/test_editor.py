"""An editor's journey in the admin: log in, edit a section with live preview, publish."""

import pytest
from playwright.sync_api import expect

from articles import publishing
from articles.models import Section

from .support import axe_violations

PASSWORD = "a long editor password"
ADDED = (
    "### 3. Flex the foot {#flex-the-foot}\n\n"
    "Pull the toes towards the knee and hold for *twenty seconds*."
)


@pytest.fixture
def section(content):
    return Section.objects.select_related("article").get(
        article__slug="sleeping-foot-cramp", slug="relief"
    )


@pytest.fixture
def editor_page(content, django_user_model, page):
    """A browser page logged in to the admin as a staff superuser."""
    django_user_model.objects.create_superuser("editor", "editor@example.com", PASSWORD)
    page.goto("/admin/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    return page


def change_url(section):
    return f"/admin/articles/section/{section.pk}/change/"


def test_editor_sees_a_live_preview_and_the_saved_change_on_the_site(editor_page, section):
    page = editor_page
    page.goto(change_url(section))
    body = page.locator("textarea#id_body")
    preview = page.locator(".markdownx:has(#id_body) .markdownx-preview")
    expect(preview).to_contain_text("Massage the pain")  # the preview shows the current text

    body.press("Control+End")
    page.keyboard.type("\n\n" + ADDED)
    expect(preview.get_by_role("heading", name="3. Flex the foot")).to_be_visible()
    expect(preview.locator("em")).to_have_text("twenty seconds")

    # A superuser may publish without review (recorded as such).
    page.get_by_role("button", name="Save and publish without review", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("is published: readers see it now")

    page.goto(section.get_absolute_url())
    expect(page.get_by_role("heading", level=2, name="3. Flex the foot")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "Pull the toes towards the knee and hold for twenty seconds."
    )
    page.goto(section.article.get_absolute_url() + "#flex-the-foot")
    expect(page.locator(":target")).to_have_text("3. Flex the foot")


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_section_change_page_has_no_accessibility_violations(editor_page, section, color_scheme):
    page = editor_page
    page.emulate_media(color_scheme=color_scheme)
    page.goto(change_url(section))
    expect(page.locator(".markdownx:has(#id_body) .markdownx-preview")).to_contain_text(
        "Massage the pain"
    )
    # Django admin's breadcrumb links would fail link-in-text-block (WCAG 1.4.1) if our admin
    # stylesheet (static/css/admin-preview.css) did not underline them.
    violations = axe_violations(page)
    assert not violations, violations


# The next (or, given -1, previous) link or control after `el` in Tab order: the page has no
# positive tabindex, so that is document order among the visible focusable elements.
NEIGHBOUR_JS = """(el, step) => {
  const all = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])'
  )].filter((e) => e.checkVisibility() && !e.disabled);
  return all[all.indexOf(el) + step];
}"""


def test_tab_and_shift_tab_leave_the_body_field_and_leave_its_text_alone(editor_page, section):
    page = editor_page
    page.goto(change_url(section))
    body = page.locator("textarea#id_body")
    expect(page.locator(".markdownx:has(#id_body) .markdownx-preview")).to_contain_text(
        "Massage the pain"
    )
    text = body.input_value()
    following = body.evaluate_handle(NEIGHBOUR_JS, 1)
    preceding = body.evaluate_handle(NEIGHBOUR_JS, -1)

    body.click()
    page.keyboard.press("Tab")
    assert page.evaluate("(el) => document.activeElement === el", following)
    page.keyboard.press("Shift+Tab")
    expect(body).to_be_focused()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("(el) => document.activeElement === el", preceding)
    expect(page.get_by_label("heading written by an editor")).to_be_focused()
    expect(body).to_have_value(text)


def test_a_keyboard_alone_goes_from_the_first_field_through_the_editors_to_save(
    editor_page, section
):
    page = editor_page
    page.goto(change_url(section))
    expect(page.locator(".markdownx:has(#id_body) .markdownx-preview")).to_contain_text(
        "Massage the pain"
    )
    page.get_by_label("Article").focus()
    save_button = page.get_by_role("button", name="Save draft", exact=True)
    passed = set()
    for _ in range(300):
        page.keyboard.press("Tab")
        passed.add(page.evaluate("document.activeElement.id"))
        if save_button.evaluate("(el) => el === document.activeElement"):
            break
    expect(save_button).to_be_focused()
    assert {"id_plain", "id_body"} <= passed  # through both Markdown editors

    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text("is saved as a draft")
    saved = publishing.with_draft(Section.objects.get(pk=section.pk))
    assert (saved.body, saved.plain) == (section.body, section.plain)
