"""The editors' admin on a phone and a desktop: the pages fit the screen, axe finds nothing in
light or dark, and history, compare and revert work by keyboard alone (#15)."""

import re

import pytest
from playwright.sync_api import expect

from articles import publishing
from articles.models import Article, PageText, Section

from .support import (
    SCREENS,
    axe_violations,
    fitting_problems,
    screenshot,
    tab_to,
    visit,
)

PHONE = SCREENS["phone-390"]
# Saved versions in the history the tests read: a dozen small edits, as a day's work makes.
EDITS = 12

# Resolves once every finite animation and transition on the page has run.
FINISHED_TRANSITIONS_JS = """() => Promise.all(document.getAnimations()
  .filter((a) => a.effect?.getTiming().iterations !== Infinity).map((a) => a.finished))"""


@pytest.fixture
def foot_relief(content):
    return Section.objects.select_related("article").get(
        article__slug="sleeping-foot-cramp", slug="relief"
    )


@pytest.fixture
def editor(log_in_editor):
    """A page logged in as Ada Okafor of the Editors group, as editors use the admin."""
    return log_in_editor("okafor", first_name="Ada", last_name="Okafor")


@pytest.fixture
def edited(foot_relief, editor, django_user_model):
    """The section after EDITS saves by the editor, each changing a word and adding a line."""
    ada = django_user_model.objects.get(username="okafor")
    for edit in range(EDITS):
        old, new = ("knead", "rub") if edit % 2 == 0 else ("rub", "knead")
        foot_relief.body = foot_relief.body.replace(
            f"{old} the cramped area", f"{new} the cramped area"
        )
        foot_relief.plain += f"\n\nHold the foot up a little longer ({edit + 1})."
        foot_relief._history_user = ada
        foot_relief.save()
    return foot_relief


def change_url(obj):
    return f"/admin/articles/{obj._meta.model_name}/{obj.pk}/change/"


def history_url(obj):
    return f"/admin/articles/{obj._meta.model_name}/{obj.pk}/history/"


def compare_url(section):
    versions = section.history.order_by("history_date")
    return f"{history_url(section)}compare/?from={versions.first().pk}&to={versions.last().pk}"


def conflict(page, section, other):
    """Open the section's form, let `other` save it meanwhile, then save: refused, and the form
    opens again with the refused text beside what `other` changed."""
    visit(page, change_url(section))
    section.refresh_from_db()
    section.body = section.body.replace("massage it", "stroke it")
    section._history_user = other
    section.save()  # bumps its version: the form in the browser is now stale
    body = page.locator("textarea#id_body")
    body.press("Control+End")
    page.keyboard.type("\n\nAda's words: stretch the calf before bed.")
    page.get_by_role("button", name="Save draft", exact=True).click()
    expect(page.get_by_role("region", name="Your changes, not saved")).to_be_visible()
    for preview in page.locator(".markdownx-preview").all():
        expect(preview).not_to_be_empty()


@pytest.mark.parametrize("screen", SCREENS)
def test_the_editing_pages_fit_the_screen(edited, editor, screen):
    page = editor
    page.set_viewport_size(SCREENS[screen])
    article = edited.article
    problems = {}
    for name, url in {
        "admin-change-form": change_url(edited),
        "admin-article-change-form": change_url(article),
        "admin-page-text-change-form": change_url(PageText.objects.order_by("pk").first()),
        "admin-history": history_url(edited),
        "admin-compare": compare_url(edited),
    }.items():
        visit(page, url)
        screenshot(page, name, screen)
        if found := fitting_problems(page):
            problems[name] = found
    assert problems == {}


def test_on_a_phone_each_version_in_the_history_is_readable_and_still_a_table_row(edited, editor):
    page = editor
    page.set_viewport_size(PHONE)
    page.goto(history_url(edited))
    rows = page.locator("#change-history tbody tr")
    expect(rows).to_have_count(edited.history.count())
    for row in rows.all():
        box = row.bounding_box()
        # A version, its details and what changed, fits on one screen: not a column two
        # characters wide that made the history tens of thousands of pixels tall.
        assert box["height"] <= PHONE["height"], box
    changes = rows.first.locator("td").last
    expect(changes.locator(".history-diff del").first).to_have_text("rub ")  # the last edit
    assert changes.bounding_box()["width"] >= 0.75 * PHONE["width"]
    # Stacked on screen, still a table to a screen reader: rows of cells under their headings.
    newest = page.get_by_role("table").get_by_role("row").nth(1)
    expect(newest.get_by_role("cell", name="Ada Okafor", exact=True)).to_be_visible()
    expect(page.get_by_role("columnheader", name="Changed by")).to_be_attached()
    expect(newest.get_by_role("cell").first).to_contain_text(edited.heading)
    # On screen each detail is labelled with its column's heading; a screen reader, which
    # has the heading already, is not told it twice.
    label = newest.get_by_role("cell", name="Ada Okafor", exact=True).evaluate(
        "(cell) => getComputedStyle(cell, '::before').content"
    )
    assert label == '"Changed by: " / ""'


@pytest.mark.parametrize("screen", SCREENS)
def test_an_edit_conflict_fits_the_screen(foot_relief, editor, django_user_model, screen):
    page = editor
    page.set_viewport_size(SCREENS[screen])
    ben = django_user_model.objects.create_user("ben", first_name="Ben", last_name="Hall")
    conflict(page, foot_relief, ben)
    expect(page.get_by_label("Body: your text")).to_have_value(re.compile("Ada's words"))
    screenshot(page, "admin-conflict", screen)
    assert fitting_problems(page) == []


@pytest.mark.parametrize("screen", SCREENS)
def test_the_editors_admin_pages_have_no_accessibility_violations(
    edited, editor, django_user_model, screen
):
    page = editor
    page.set_viewport_size(SCREENS[screen])
    old_version = edited.history.order_by("history_date")[1]
    pages = {
        "index": "/admin/",
        "section list": "/admin/articles/section/",
        "section form": change_url(edited),
        "article form": change_url(Article.objects.get(slug="calf-muscle-spasm")),
        "page text form": change_url(PageText.objects.order_by("pk").first()),
        "history": history_url(edited),
        "compare versions": compare_url(edited),
        "an old version, to revert to": f"{history_url(edited)}{old_version.pk}/",
    }
    violations = {}

    def check(name):
        for color_scheme in ("light", "dark"):
            page.emulate_media(color_scheme=color_scheme)
            # The admin's links fade to their new colour (a CSS transition): let them arrive,
            # or axe measures a colour half way.
            page.evaluate(FINISHED_TRANSITIONS_JS)
            if report := axe_violations(page):
                violations[f"{name}, {color_scheme}"] = report

    for name, url in pages.items():
        visit(page, url)
        check(name)
    page.emulate_media(color_scheme="light")
    ben = django_user_model.objects.create_user("ben", first_name="Ben", last_name="Hall")
    conflict(page, edited, ben)
    check("edit conflict")
    assert not violations, "\n".join(f"{name}: {report}" for name, report in violations.items())


@pytest.mark.parametrize("screen", SCREENS)
def test_a_keyboard_alone_compares_two_versions_goes_back_and_reverts(edited, editor, screen):
    page = editor
    page.set_viewport_size(SCREENS[screen])
    original = edited.history.order_by("history_date").first()
    visit(page, change_url(edited))

    tab_to(page, page.get_by_role("link", name="History", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Change history: {edited}")
    # The oldest version against the newest: a closed <select> takes arrow keys and End.
    tab_to(page, page.get_by_label("Compare the version of"))
    page.keyboard.press("End")
    expect(page.get_by_label("Compare the version of")).to_have_value(str(original.pk))
    tab_to(page, page.get_by_role("button", name="Compare"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Compare versions: {edited}")
    expect(page.locator(".history-diff ins").first).to_contain_text("Hold the foot up")

    tab_to(page, page.get_by_role("link", name="Back to the history"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"{history_url(edited)}$"))
    oldest = page.locator("#change-history tbody tr").last
    tab_to(page, oldest.get_by_role("link", name=edited.heading))
    page.keyboard.press("Enter")
    expect(page.locator("textarea#id_plain")).to_have_value(original.plain)
    tab_to(page, page.get_by_role("button", name="Revert").first)
    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text("Reverted to the version of ")
    # The section is live: the reverted text is its draft, for review before it goes live.
    reverted = publishing.with_draft(Section.objects.get(pk=edited.pk))
    assert (reverted.body, reverted.plain) == (original.body, original.plain)
