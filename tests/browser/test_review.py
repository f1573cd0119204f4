"""A change from draft to readers in Chromium, by keyboard alone, on a desktop and a phone: an
editor saves a draft of a live section and submits it, previews it, and a reviewer approves it
from the review queue. Each page fits the screen and axe finds nothing on it (#15)."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Revision, Section

from .support import SCREENS, axe_violations, fitting_problems, screenshot, tab_to, visit

NEW_HEADING = "Stop a foot cramp: pull your toes up"


@pytest.fixture
def foot_relief(content):
    return Section.objects.select_related("article").get(
        article__slug="sleeping-foot-cramp", slug="relief"
    )


def check_page(page, name, screen, problems):
    screenshot(page, name, screen)
    if found := fitting_problems(page):
        problems[f"{name}: fit"] = found
    if report := axe_violations(page):
        problems[f"{name}: axe"] = report


@pytest.mark.parametrize("screen", SCREENS)
def test_a_change_is_drafted_previewed_submitted_and_approved_by_keyboard(
    foot_relief, log_in_editor, live_server, screen
):
    editor = log_in_editor("okafor", first_name="Ada", last_name="Okafor")
    reviewer = log_in_editor("lin", group="Reviewers", first_name="Mei", last_name="Lin")
    for page in (editor, reviewer):
        page.set_viewport_size(SCREENS[screen])
    reader = foot_relief.get_absolute_url()
    problems = {}

    # The editor changes the plain-English heading and submits it, by keyboard.
    visit(editor, f"/admin/articles/section/{foot_relief.pk}/change/")
    heading = editor.get_by_label("Heading in plain English")
    tab_to(editor, heading)
    editor.keyboard.press("Control+A")
    editor.keyboard.type(NEW_HEADING)
    tab_to(editor, editor.get_by_role("button", name="Save and submit for review"))
    editor.keyboard.press("Enter")
    expect(editor.locator(".messagelist")).to_contain_text("is waiting for review")
    assert Revision.objects.get().state == Revision.State.SUBMITTED
    visit(editor, f"/admin/articles/section/{foot_relief.pk}/change/")
    expect(editor.get_by_role("region", name="Publishing")).to_contain_text("Waiting for review")
    check_page(editor, "admin-change-form-draft", screen, problems)

    # The preview shows the draft as readers will see it; readers still get the live page.
    tab_to(editor, editor.get_by_role("link", name="Preview the draft"))
    editor.keyboard.press("Enter")
    expect(editor.get_by_role("heading", level=1)).to_have_text(NEW_HEADING)
    check_page(editor, "admin-preview", screen, problems)
    editor.context.clear_cookies()
    editor.goto(reader)
    expect(editor.get_by_role("heading", level=1)).not_to_have_text(NEW_HEADING)

    # The reviewer finds it in the queue and approves it.
    visit(reviewer, "/admin/articles/revision/")
    check_page(reviewer, "admin-review-queue", screen, problems)
    tab_to(reviewer, reviewer.get_by_role("link", name=str(foot_relief)))
    reviewer.keyboard.press("Enter")
    expect(reviewer.get_by_role("heading", name="What it changes")).to_be_visible()
    expect(reviewer.locator(".review-change").first).to_contain_text("pull your toes up")
    check_page(reviewer, "admin-review", screen, problems)
    tab_to(reviewer, reviewer.get_by_label("Your role, as readers will see it"))
    reviewer.keyboard.type("general practitioner")
    tab_to(reviewer, reviewer.get_by_role("button", name="Approve"))
    reviewer.keyboard.press("Enter")
    expect(reviewer.locator(".messagelist")).to_contain_text("Approved and published")

    editor.goto(reader)
    expect(editor.get_by_role("heading", level=1)).to_have_text(NEW_HEADING)
    expect(editor.locator(".currency")).to_contain_text("by Mei Lin, general practitioner")
    assert not problems, "\n".join(f"{name}: {report}" for name, report in problems.items())


def test_a_change_sent_back_a_preview_link_for_a_doctor_and_a_discarded_draft(
    foot_relief, log_in_editor, new_context
):
    """The rest of the way, in Chromium: a reviewer sends a change back with a comment the
    author then reads on the form; the author shares a preview link that opens without an
    account, revokes it, and discards the draft after a confirmation page."""
    editor = log_in_editor("okafor", first_name="Ada", last_name="Okafor")
    reviewer = log_in_editor("lin", group="Reviewers", first_name="Mei", last_name="Lin")
    form = f"/admin/articles/section/{foot_relief.pk}/change/"
    problems = {}

    visit(editor, form)
    editor.get_by_label("Heading in plain English").fill("Foot cramp? Flex it")
    editor.get_by_role("button", name="Save and submit for review").click()
    visit(reviewer, "/admin/articles/revision/")
    reviewer.get_by_role("link", name=str(foot_relief)).click()
    reviewer.get_by_label("Comment for the author").fill("Say which way to flex the foot.")
    reviewer.get_by_role("button", name="Send back to the author").click()
    expect(reviewer.locator(".messagelist")).to_contain_text("Sent back")

    visit(editor, form)
    status = editor.get_by_role("region", name="Publishing")
    expect(status).to_contain_text("Sent back by a reviewer")
    expect(status.get_by_role("note")).to_contain_text("Say which way to flex the foot.")

    # A preview link for someone without an account.
    editor.get_by_role("button", name="Make a preview link").click()
    link = editor.get_by_role("region", name="Share a preview").get_by_role("link").first
    address = link.get_attribute("href")
    outsider = new_context().new_page()
    outsider.goto(address)
    expect(outsider.locator(".preview-banner")).to_contain_text("Draft preview: not published.")
    expect(outsider.get_by_role("heading", level=1)).to_have_text("Foot cramp? Flex it")
    editor.get_by_role("button", name="Revoke this link").click()
    expect(editor.locator(".messagelist")).to_contain_text("revoked")
    assert outsider.goto(address).status == 404

    # Unpublishing asks first; so does discarding the draft.
    visit(editor, form)
    editor.get_by_role("link", name="Unpublish…").click()
    expect(editor.locator("#content-main")).to_contain_text("answers “Page not found”")
    if report := axe_violations(editor):
        problems["unpublish"] = report
    editor.get_by_role("link", name="No, keep it published").click()
    editor.get_by_role("link", name="Discard the draft…").click()
    if report := axe_violations(editor):
        problems["discard"] = report
    editor.get_by_role("button", name="Yes, discard the draft").click()
    expect(editor.locator(".messagelist")).to_contain_text("is discarded")
    expect(editor.get_by_label("Heading in plain English")).not_to_have_value("Foot cramp? Flex it")
    assert Revision.objects.get().state == Revision.State.DISCARDED
    assert not problems, problems


def test_a_reviewer_schedules_a_change_and_it_goes_live_at_its_time(
    foot_relief, log_in_editor, page
):
    editor = log_in_editor("okafor", first_name="Ada", last_name="Okafor")
    reviewer = log_in_editor("lin", group="Reviewers", first_name="Mei", last_name="Lin")
    visit(editor, f"/admin/articles/section/{foot_relief.pk}/change/")
    editor.get_by_label("Heading in plain English").fill("Tomorrow's heading")
    editor.get_by_role("button", name="Save and submit for review").click()

    visit(reviewer, "/admin/articles/revision/")
    reviewer.get_by_role("link", name=str(foot_relief)).click()
    reviewer.get_by_label("Your role, as readers will see it").fill("general practitioner")
    later = timezone.localtime() + timedelta(hours=1)
    reviewer.get_by_label("Go live at").fill(later.strftime("%Y-%m-%dT%H:%M"))
    reviewer.get_by_role("button", name="Approve").click()
    expect(reviewer.locator(".messagelist")).to_contain_text("goes live at")

    call_command("publish_scheduled")  # as the timer runs it every minute: not yet
    page.goto(foot_relief.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Tomorrow's heading")
    Revision.objects.update(go_live_at=timezone.now())  # the time has come
    call_command("publish_scheduled")
    page.goto(foot_relief.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Tomorrow's heading")
    expect(page.locator(".currency")).to_contain_text("by Mei Lin, general practitioner")


def test_an_editor_changes_the_home_headline_and_a_note_that_would_not_show_is_refused(
    foot_relief, log_in_editor, page, settings
):
    settings.PUBLISHING_NEEDS_REVIEW = False  # editors publish their own changes
    editor = log_in_editor("okafor", first_name="Ada", last_name="Okafor")
    visit(editor, "/admin/articles/pagetext/")
    editor.get_by_role("link", name="Home page: headline and lead").click()
    editor.get_by_label("Headline").fill("Calf cramp in the night?")
    editor.get_by_role("button", name="Save and publish").click()
    expect(editor.locator(".messagelist")).to_contain_text("is published")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Calf cramp in the night?")

    # An editor's note indented by two spaces would show as the source's words: refused,
    # saying where, with the text kept.
    visit(editor, f"/admin/articles/section/{foot_relief.pk}/change/")
    body = editor.locator("textarea#id_body")
    body.press("Control+End")
    editor.keyboard.type('\n\n!!! editorial "Editor\'s note"\n')
    editor.keyboard.type("  Indented by two spaces only.")
    editor.get_by_role("button", name="Save draft", exact=True).click()
    expect(editor.locator(".errorlist")).to_contain_text(
        "the editor's note has no text indented by four spaces under it"
    )
    expect(body).to_have_value(re.compile("Indented by two spaces only.$"))
    assert not foot_relief.revisions.exists()  # nothing saved
