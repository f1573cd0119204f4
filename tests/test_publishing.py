"""How an editor's change reaches readers: drafts of live pages, review by a health
professional, scheduled publishing, unpublishing and preview links (articles/publishing.py),
through the admin as an editor and a reviewer use it."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from articles.models import Article, PageText, PreviewLink, Revision, Section, Status
from tests.helpers.admin_forms import article_form, change_url, page_text_form, section_form

SPASM = "/articles/calf-muscle-spasm/"
RELIEF = f"{SPASM}relief/"
NEW_STEP = "Stretch the calf by pulling the toes up."
QUEUE = "/admin/articles/revision/"


def account(name, group, superuser=False):
    """A staff account with a full name in `group` (the Editors or Reviewers group)."""
    first, last = name.split()
    user = get_user_model().objects.create_user(
        f"{first.lower()}.{last.lower()}",
        first_name=first,
        last_name=last,
        is_staff=True,
        is_superuser=superuser,
    )
    user.groups.add(group)
    return user


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def author(editors_group):
    return logged_in(account("Ada Okafor", editors_group))


@pytest.fixture
def reviewer(reviewers_group):
    return logged_in(account("Mei Lin", reviewers_group))


@pytest.fixture
def relief(content):
    return Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")


def save_draft(client, section, **changes):
    return client.post(change_url(section), section_form(section, publish=False, **changes))


def submit(client, section, **changes):
    data = section_form(section, publish=False, **changes) | {"_submit": "Submit"}
    return client.post(change_url(section), data)


def review_url(revision):
    return reverse("admin:articles_revision_change", args=[revision.pk])


def seen(client, revision):
    """What the review page showed: its form says so, so an unseen edit is not approved."""
    page = client.get(review_url(revision)).content.decode()
    match = re.search(r'name="seen" value="([0-9a-f]+)"', page)
    return match[1] if match else ""


def decide(client, revision, shown=None, **data):
    return client.post(review_url(revision), {"seen": shown or seen(client, revision), **data})


@pytest.mark.django_db
class TestDraftsOfLivePages:
    def test_a_change_to_a_live_section_is_a_draft_readers_do_not_see(self, author, client, relief):
        body = f"{relief.body}\n\n{NEW_STEP}"
        response = save_draft(author, relief, body=body)
        assertRedirects(response, "/admin/articles/section/")
        assert client.get(RELIEF).status_code == 200
        assertNotContains(client.get(RELIEF), NEW_STEP)
        assertNotContains(client.get(SPASM), NEW_STEP)
        assertNotContains(client.get("/relief/"), NEW_STEP)
        assert NEW_STEP not in Section.objects.get(pk=relief.pk).body

        # The editor's form opens on the draft, and says readers see the published version.
        form = author.get(change_url(relief))
        assertContains(form, NEW_STEP)
        assertContains(form, "readers keep seeing the published version")
        # The staff preview shows it as readers will see it once published.
        preview = author.get(f"/preview{RELIEF}")
        assertContains(preview, NEW_STEP)
        assertContains(preview, "Preview for editors")

    def test_two_editors_of_one_draft_are_told_of_each_other(self, author, relief, editors_group):
        opened = section_form(relief, publish=False)
        save_draft(author, relief, plain_heading="First editor's heading")
        other = logged_in(account("Sam Ode", editors_group))
        refused = other.post(change_url(relief), opened | {"plain_heading": "Second heading"})
        assertRedirects(refused, change_url(relief), status_code=303, fetch_redirect_response=False)
        assert Revision.objects.get().data["plain_heading"] == "First editor's heading"

    def test_unpublishing_asks_first_and_says_what_readers_will_see(self, author, client, relief):
        url = f"/admin/articles/section/{relief.pk}/unpublish/"
        question = author.get(url)
        assertContains(question, "answers “Page not found”")
        assertContains(question, RELIEF)
        assertContains(question, "relief topic page")
        assert client.get(RELIEF).status_code == 200  # asking changes nothing

        assertRedirects(author.post(url), change_url(relief))
        assert client.get(RELIEF).status_code == 404
        assertNotContains(client.get("/relief/"), relief.plain_heading)
        assert Section.objects.get(pk=relief.pk).status == Status.DRAFT

    def test_the_status_cannot_be_set_from_the_form(self, author, client, relief):
        data = section_form(relief, publish=False, status=Status.DRAFT)
        author.post(change_url(relief), data)
        assert client.get(RELIEF).status_code == 200

    def test_a_draft_can_be_discarded_and_readers_never_saw_it(self, author, client, relief):
        save_draft(author, relief, plain_heading="A heading nobody approved")
        url = f"/admin/articles/section/{relief.pk}/discard-draft/"
        assertContains(author.get(url), "Readers keep seeing the published version")
        author.post(url)
        assert Revision.objects.get().state == Revision.State.DISCARDED
        assertNotContains(author.get(change_url(relief)), "A heading nobody approved")
        assertNotContains(client.get(RELIEF), "A heading nobody approved")


@pytest.mark.django_db
class TestReview:
    def test_submit_review_approve_publishes_and_records_the_review(
        self, author, reviewer, client, relief
    ):
        body = f"{relief.body}\n\n{NEW_STEP}"
        submit(author, relief, body=body)
        revision = Revision.objects.get()
        assert revision.state == Revision.State.SUBMITTED
        assertNotContains(client.get(RELIEF), NEW_STEP)

        queue = reviewer.get(QUEUE, follow=True)
        assertContains(queue, relief.heading)
        page = reviewer.get(review_url(revision))
        assertContains(page, f"{NEW_STEP}</ins>")  # shown as added words
        assertContains(page, "Approve")

        response = decide(reviewer, revision, _approve="1", reviewer_role="general practitioner")
        assertRedirects(response, QUEUE, fetch_redirect_response=False)
        page = client.get(RELIEF)
        assertContains(page, NEW_STEP)
        today = timezone.localdate()
        assertContains(
            page,
            f'Page last reviewed: <time datetime="{today:%Y-%m-%d}">{today.day} '
            f"{today:%B %Y}</time> by Mei Lin, general practitioner.",
        )
        history = Section.objects.get(pk=relief.pk).history.first()
        assert history.history_change_reason == (
            "Published: approved by Mei Lin, general practitioner"
        )
        # The change is credited to who wrote it; the reason names who approved it.
        assert history.history_user.get_full_name() == "Ada Okafor"

    def test_the_reviewer_is_told_what_readers_now_see_by_its_new_name(
        self, author, reviewer, relief
    ):
        submit(author, relief, heading="A clearer heading")
        response = decide(reviewer, Revision.objects.get(), _approve="1", reviewer_role="GP")
        assert [str(message) for message in response.wsgi_request._messages] == [
            "Approved and published: readers see “A clearer heading” now."
        ]

    def test_a_change_edited_after_the_reviewer_opened_it_is_not_approved_unseen(
        self, author, reviewer, client, relief
    ):
        submit(author, relief, plain_heading="First wording")
        revision = Revision.objects.get()
        shown = seen(reviewer, revision)
        relief.refresh_from_db()  # the author's form opens on the current version
        submit(author, relief, plain_heading="Second wording")
        assert Revision.objects.get().data["plain_heading"] == "Second wording"
        response = decide(reviewer, revision, shown, _approve="1", reviewer_role="GP")
        assertRedirects(response, review_url(revision), fetch_redirect_response=False)
        assert "edited after you opened it" in str(list(response.wsgi_request._messages))
        assertNotContains(client.get(RELIEF), "Second wording")
        decide(reviewer, revision, _approve="1", reviewer_role="GP")  # seen this time
        assertContains(client.get(RELIEF), "Second wording")

    def test_the_queue_opens_on_what_waits_and_filters_by_type_of_page(
        self, author, reviewer, relief
    ):
        submit(author, relief, plain_heading="Waiting")
        queue = reviewer.get(QUEUE, follow=True)
        assertContains(queue, "<h1>Changes for review</h1>", html=True)
        assertContains(queue, str(relief))
        assertContains(queue, "type=section")
        assertNotContains(queue, "log entry")  # only the kinds of page there are
        assertNotContains(reviewer.get(f"{QUEUE}?type=article"), str(relief))
        decide(reviewer, Revision.objects.get(), _approve="1", reviewer_role="GP")
        assertContains(reviewer.get(f"{QUEUE}?state__exact=published"), str(relief))

    def test_the_author_cannot_approve_their_own_change(
        self, relief, editors_group, reviewers_group
    ):
        both = account("Kim Park", reviewers_group)
        both.groups.add(editors_group)
        client = logged_in(both)
        submit(client, relief, plain_heading="Mine")
        revision = Revision.objects.get()
        assertContains(client.get(review_url(revision)), "another reviewer must approve it")
        response = decide(client, revision, _approve="1", reviewer_role="nurse")
        assert response.status_code == 403
        assert Section.objects.get(pk=relief.pk).plain_heading != "Mine"

    def test_an_editor_cannot_publish_or_approve(self, author, relief):
        response = author.post(change_url(relief), section_form(relief))  # "Save and publish"
        assert response.status_code == 403
        submit(author, relief, plain_heading="Mine")
        revision = Revision.objects.get()
        assert decide(author, revision, _approve="1", reviewer_role="x").status_code == 403
        assertNotContains(author.get(change_url(relief)), 'name="_publish"')

    def test_sent_back_with_a_comment_the_author_sees(self, author, reviewer, client, relief):
        submit(author, relief, plain_heading="Cramp? Do this")
        revision = Revision.objects.get()
        refused = decide(reviewer, revision, _send_back="1", comment="")
        assertContains(refused, "Say what the author should change.")
        decide(reviewer, revision, _send_back="1", comment="Keep the source's wording.")
        revision.refresh_from_db()
        assert revision.state == Revision.State.SENT_BACK
        form = author.get(change_url(relief))
        assertContains(form, "Sent back by a reviewer")
        assertContains(form, "Keep the source&#x27;s wording.")
        assertNotContains(client.get(RELIEF), "Cramp? Do this")

    def test_an_invalid_decision_keeps_what_the_reviewer_typed(self, author, reviewer, relief):
        submit(author, relief, plain_heading="Cramp? Do this")
        revision = Revision.objects.get()
        response = decide(reviewer, revision, _approve="1", reviewer_role="", comment="Fine.")
        assertContains(response, "Say in what role you reviewed it.")
        assertContains(response, "Fine.")

    def test_a_new_page_needs_approval_too(self, author, reviewer, client, content):
        article = Article.objects.get(slug="calf-muscle-spasm")
        data = {
            "article": article.pk, "kind": "relief", "heading": "A new section",
            "slug": "a-new-section", "position": 9, "body": "Text as published.",
            "plain": "", "plain_heading": "", "help_level": "", "help_note": "",
            "_submit": "Submit",
        }  # fmt: skip
        author.post("/admin/articles/section/add/", data)
        section = Section.objects.get(slug="a-new-section")
        assert section.status == Status.DRAFT
        assert client.get(f"{SPASM}a-new-section/").status_code == 404
        # The reviewer reads the new page's fields as the admin names them, and no empty ones.
        review = reviewer.get(review_url(Revision.objects.get())).content.decode()
        assert "<ins>Relief</ins>" in review and "<ins>relief</ins>" not in review
        assert "Last reviewed" not in review and "<ins>False</ins>" not in review
        decide(reviewer, Revision.objects.get(), _approve="1", reviewer_role="pharmacist")
        assert client.get(f"{SPASM}a-new-section/").status_code == 200

    def test_a_superuser_may_publish_without_review_and_readers_are_told(
        self, editor_client, client, relief
    ):
        Section.objects.filter(pk=relief.pk).update(
            last_reviewed=timezone.localdate(), reviewed_by="Dr A", reviewer_role="GP"
        )
        article = Article.objects.get(slug="calf-muscle-spasm")
        article.sections.update(
            last_reviewed=timezone.localdate(), reviewed_by="A", reviewer_role="B"
        )
        editor_client.post(change_url(relief), section_form(relief, plain_heading="Right now"))
        page = client.get(RELIEF)
        assertContains(page, "Right now")
        assertContains(page, "Not yet reviewed by a health professional")
        revision = Revision.objects.get()
        assert revision.without_review
        assert Section.objects.get(pk=relief.pk).history.first().history_change_reason == (
            "Published without review by editor"
        )

    def test_a_long_role_is_recorded_whole_and_shortened_in_the_history(
        self, author, reviewer, client, relief
    ):
        """The history's reason for a save has room for 100 characters, and PostgreSQL refuses
        more; the page's review line keeps the whole role."""
        role = "consultant in sports and exercise medicine, musculoskeletal and sleep clinics"
        submit(author, relief, plain_heading="Long role")
        response = decide(reviewer, Revision.objects.get(), _approve="1", reviewer_role=role)
        assertRedirects(response, QUEUE, fetch_redirect_response=False)
        assertContains(client.get(RELIEF), f"by Mei Lin, {role}.")
        reason = Section.objects.get(pk=relief.pk).history.first().history_change_reason
        assert reason == f"Published: approved by Mei Lin, {role}"[:99] + "…"

    def test_a_long_name_is_shortened_in_the_history_of_publish_unpublish_and_revert(
        self, editors_group, relief
    ):
        name = "Ada Okafor-Featherstonehaugh-Cholmondeley-Marjoribanks-Tollemache-Wolfeschlegelsteinhausen"
        admin = logged_in(account(name, editors_group, superuser=True))
        response = admin.post(change_url(relief), section_form(relief, plain_heading="Now"))
        assert response.status_code == 302
        published = Section.objects.get(pk=relief.pk).history.first()
        admin.post(f"/admin/articles/section/{relief.pk}/unpublish/")
        relief.refresh_from_db()
        revert = f"/admin/articles/section/{relief.pk}/history/{published.pk}/"
        data = section_form(relief, publish=False, plain_heading="Now")
        assert admin.post(revert, data).status_code == 302
        reasons = Section.objects.get(pk=relief.pk).history.values_list(
            "history_change_reason", flat=True
        )[:3]
        starts = ["Reverted to the version of", f"Unpublished by {name}", "Published without"]
        for reason, start in zip(reasons, starts, strict=True):
            assert len(reason) == 100 and reason.endswith("…"), reason
            assert reason.startswith(start[:99]), reason

    def test_switched_off_editors_publish_themselves(self, author, client, relief, settings):
        settings.PUBLISHING_NEEDS_REVIEW = False
        author.post(change_url(relief), section_form(relief, plain_heading="Right now"))
        assertContains(client.get(RELIEF), "Right now")


@pytest.mark.django_db
class TestScheduledPublishing:
    def test_an_approved_change_goes_live_when_its_time_has_come(
        self, author, reviewer, client, relief
    ):
        submit(author, relief, plain_heading="Later heading")
        revision = Revision.objects.get()
        # Tomorrow afternoon: the time ends in "p.m.", which a full stop must not follow.
        later = (timezone.localtime() + timedelta(days=1)).replace(hour=15, minute=12)
        response = decide(
            reviewer,
            revision,
            _approve="1",
            reviewer_role="general practitioner",
            go_live_at=later.strftime("%Y-%m-%dT%H:%M"),
        )
        revision.refresh_from_db()
        assert revision.state == Revision.State.APPROVED
        when = date_format(timezone.localtime(revision.go_live_at), "DATETIME_FORMAT")
        assert [str(message) for message in response.wsgi_request._messages] == [
            f"Approved: “{relief}” goes live at {when} (within a minute)."
        ]
        call_command("publish_scheduled")
        assertNotContains(client.get(RELIEF), "Later heading")

        Revision.objects.filter(pk=revision.pk).update(go_live_at=timezone.now())
        call_command("publish_scheduled")
        assertContains(client.get(RELIEF), "Later heading")
        assert Revision.objects.get().state == Revision.State.PUBLISHED

    def test_a_past_go_live_time_is_refused(self, author, reviewer, relief):
        submit(author, relief, plain_heading="Later heading")
        past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        response = decide(
            reviewer, Revision.objects.get(), _approve="1", reviewer_role="GP", go_live_at=past
        )
        assertContains(response, "Choose a time in the future")


@pytest.mark.django_db
class TestStaffPreviews:
    """/preview/...: the site as it will be once every open draft is published, for staff."""

    def test_a_topic_preview_shows_every_sections_draft_where_it_will_be(
        self, author, reviewer, client, relief
    ):
        submit(author, relief, plain_heading="Stretch it out", kind="prevention")
        Section.objects.create(
            article=relief.article, kind="relief", heading="A section not yet published",
            slug="not-yet", body="Text as published.", position=9,
        )  # fmt: skip
        moved = author.get("/preview/prevention/")
        assertContains(moved, "Preview for editors")
        assertContains(moved, '<h2 id="calf-muscle-spasm--relief">Stretch it out</h2>', html=True)
        relief_page = author.get("/preview/relief/")
        assertNotContains(relief_page, 'id="calf-muscle-spasm--relief"')
        assertContains(relief_page, "A section not yet published")
        assertContains(relief_page, "Draft: readers do not see this section yet.")
        assertContains(relief_page, "During a cramp")  # the page as it is, box and all
        # Readers see the topics as published; the previews are not for them.
        assertContains(client.get("/relief/"), 'id="calf-muscle-spasm--relief"')
        assertNotContains(client.get("/prevention/"), "Stretch it out")
        for kind in ("relief", "causes", "prevention"):
            assert client.get(f"/preview/{kind}/").status_code == 404
        # The editor's form and the reviewer's page link to the topic the draft is on.
        link = '<a href="/preview/prevention/">'
        assertContains(author.get(change_url(relief)), link)
        assertContains(reviewer.get(review_url(Revision.objects.get())), link)

    def test_a_section_moved_to_another_article_is_previewed_where_it_goes(
        self, author, reviewer, content
    ):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="prevention")
        other = Article.objects.get(slug="sleeping-foot-cramp")
        # Its plain-English version cites the calf article's source, so it goes too.
        moved = {"article": other.pk, "slug": "from-the-calf-article"}
        submit(author, section, plain="", plain_heading="", **moved)
        new_address = "/preview/articles/sleeping-foot-cramp/from-the-calf-article/"
        assertContains(author.get(new_address), f'<h1 id="section-heading">{section.heading}</h1>')
        assert author.get(f"/preview{SPASM}prevention/").status_code == 404
        assertContains(
            author.get("/preview/articles/sleeping-foot-cramp/"), 'id="from-the-calf-article"'
        )
        assertNotContains(author.get(f"/preview{SPASM}"), 'aria-labelledby="prevention"')
        # The editor's form and the reviewer's page open the preview there.
        link = f'<a href="{new_address}">'
        assertContains(author.get(change_url(section)), link)
        assertContains(reviewer.get(review_url(Revision.objects.get())), link)

    def test_a_change_moving_a_section_to_an_article_deleted_since_keeps_it_in_place(
        self, author, reviewer, content
    ):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="prevention")
        other = Article.objects.create(
            title="Gone soon", slug="gone-soon", publisher="P", source_title="S",
            source_text="One.", intro="Intro.",
        )  # fmt: skip
        submit(author, section, plain="", plain_heading="", article=other.pk)
        other.delete()
        # The change keeps the section where it is; the rest of it waits as a draft again.
        draft = Revision.objects.get()
        assert draft.state == Revision.State.DRAFT and "article_id" not in draft.changed_data()
        assert "plain" in draft.changed_data()
        assert author.get(change_url(section)).status_code == 200
        assertContains(author.get("/preview/prevention/"), 'id="calf-muscle-spasm--prevention"')
        assertNotContains(reviewer.get(review_url(draft)), "Gone soon")


@pytest.mark.django_db
class TestPreviewLinks:
    def make_link(self, author, section):
        author.post(f"/admin/articles/section/{section.pk}/preview-links/", {"create": "1"})
        return PreviewLink.objects.get()

    def test_a_link_shows_the_draft_to_anyone_never_cached_nor_indexed(
        self, author, client, relief
    ):
        save_draft(author, relief, plain_heading="Draft heading for the doctor")
        link = self.make_link(author, relief)
        assert len(link.token) >= 40
        assert link.expires - timezone.now() > timedelta(days=6, hours=23)
        response = client.get(link.get_absolute_url())
        assertContains(response, "Draft heading for the doctor")
        assertContains(response, "Draft preview: not published.")
        assertContains(response, '<meta name="robots" content="noindex">')
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
        # Readers still see the live page.
        assertNotContains(client.get(RELIEF), "Draft heading for the doctor")

    def test_revoked_or_expired_links_are_the_sites_404(self, author, client, relief):
        save_draft(author, relief, plain_heading="Draft heading")
        link = self.make_link(author, relief)
        author.post(f"/admin/articles/section/{relief.pk}/preview-links/", {"revoke": link.pk})
        response = client.get(link.get_absolute_url())
        assert response.status_code == 404
        assertContains(response, "Page not found", status_code=404)

        other = self.make_link_again(author, relief)
        PreviewLink.objects.filter(pk=other.pk).update(expires=timezone.now())
        assert client.get(other.get_absolute_url()).status_code == 404
        assert client.get("/preview/link/not-a-real-token/").status_code == 404

    def make_link_again(self, author, section):
        author.post(f"/admin/articles/section/{section.pk}/preview-links/", {"create": "1"})
        return PreviewLink.objects.filter(revoked=None).get()

    def test_an_article_link_shows_the_article_with_its_drafts(self, author, client, content):
        article = Article.objects.get(slug="calf-muscle-spasm")
        author.post(change_url(article), article_form(article, publish=False, title="New title"))
        author.post(f"/admin/articles/article/{article.pk}/preview-links/", {"create": "1"})
        response = client.get(PreviewLink.objects.get().get_absolute_url())
        assertContains(response, "New title")
        assertNotContains(client.get(SPASM), "New title")


@pytest.mark.django_db
class TestPageTexts:
    """The "During a cramp" box restates the sources' instructions: a change to it, like one
    to a section, waits for a reviewer."""

    def test_a_change_to_the_box_waits_for_a_reviewer(self, author, reviewer, client, content):
        box = PageText.objects.get(key=PageText.Key.DURING_A_CRAMP)
        body = box.body.replace("Pull your toes up", "Draw your toes up")
        data = page_text_form(box, publish=False, body=body) | {"_submit": "Submit"}
        author.post(change_url(box), data)
        assertNotContains(client.get("/"), "Draw your toes up")
        assertNotContains(client.get("/relief/"), "Draw your toes up")
        # The editors' preview of the home page shows it; the page is not for readers.
        assertContains(author.get("/preview/"), "Draw your toes up")
        assertContains(author.get("/preview/relief/"), "Draw your toes up")
        assert client.get("/preview/").status_code == 404
        assert author.post(change_url(box), page_text_form(box, body=body)).status_code == 403

        revision = Revision.objects.get()
        page = reviewer.get(review_url(revision))
        assertContains(page, "Draw </ins>")
        decide(reviewer, revision, _approve="1", reviewer_role="general practitioner")
        assertContains(client.get("/"), "Draw your toes up")
        assertContains(client.get("/relief/"), "Draw your toes up")
        assert "Unpublish" not in author.get(change_url(box)).content.decode()

    def test_a_preview_link_shows_a_home_page_text_beside_the_live_ones(
        self, author, client, content
    ):
        home = PageText.objects.get(key=PageText.Key.HOME)
        author.post(change_url(home), page_text_form(home, publish=False, heading="Cramp now?"))
        author.post(f"/admin/articles/pagetext/{home.pk}/preview-links/", {"create": "1"})
        response = client.get(PreviewLink.objects.get().get_absolute_url())
        assertContains(response, "<h1>Cramp now?</h1>", html=True)
        assertContains(response, "Draft preview: not published.")
        assert "no-store" in response["Cache-Control"]
        assertNotContains(client.get("/"), "Cramp now?")


@pytest.mark.django_db
class TestNothingGetsPastReview:
    """Paths around the buttons that must not publish, approve unseen, or lose a change."""

    def test_an_editor_cannot_publish_or_review_through_the_form_fields(
        self, author, client, content
    ):
        article = Article.objects.get(slug="calf-muscle-spasm")
        fake_review = {
            "status": Status.PUBLISHED,
            "last_reviewed": "2026-11-01",
            "reviewed_by": "Dr Fake",
            "reviewer_role": "GP",
        }
        data = article_form(article, publish=False, title="A new article", slug="new") | {
            "source_text": "Text.",
            "plain_intro": "",
            "sections-TOTAL_FORMS": 0,
            "sections-INITIAL_FORMS": 0,
            **fake_review,
        }
        response = author.post("/admin/articles/article/add/", data)
        errors = response.context["adminform"].form.errors if response.status_code == 200 else ""
        assert response.status_code == 302, errors
        added = Article.objects.get(slug="new")
        assert (added.status, added.reviewed_by) == (Status.DRAFT, "")
        assert client.get("/articles/new/").status_code == 404
        # Nor by editing the unpublished article's form.
        author.post(change_url(added), article_form(added, publish=False) | fake_review)
        added.refresh_from_db()
        assert (added.status, added.reviewed_by) == (Status.DRAFT, "")

    def test_a_revert_is_a_draft_and_reviewers_cannot_revert(
        self, author, reviewer, client, relief
    ):
        old = relief.history.first()
        history = f"/admin/articles/section/{relief.pk}/history/{old.pk}/"
        assert reviewer.post(history, section_form(relief, publish=False)).status_code == 403
        author.post(f"/admin/articles/section/{relief.pk}/unpublish/")
        relief.refresh_from_db()
        author.post(history, section_form(relief, publish=False, plain_heading="Reverted"))
        assert Section.objects.get(pk=relief.pk).status == Status.DRAFT
        assert client.get(RELIEF).status_code == 404

    def test_reverting_a_live_page_keeps_its_review_as_recorded(self, author, relief):
        oldest = relief.history.earliest()  # loaded before any review
        relief.record_review(timezone.localdate(), "Mei Lin", "GP")
        relief.save()
        history = f"/admin/articles/section/{relief.pk}/history/{oldest.pk}/"
        author.post(history, section_form(relief, publish=False, plain_heading="Reverted"))
        draft = Revision.objects.get()
        assert set(draft.changed_data()) == {"plain_heading"}
        assertNotContains(author.get(review_url(draft)), "Mei Lin")  # no change to review

    def revert_to_an_old_version(self, author, relief):
        """Change the live page, then revert it to the version before: a draft. The name the
        history gives that version ("Reverted to the version of <when>")."""
        old = relief.history.first()
        relief.plain_heading = "A heading since"
        relief.save()
        history = f"/admin/articles/section/{relief.pk}/history/{old.pk}/"
        author.post(history, section_form(relief, publish=False, plain_heading=old.plain_heading))
        relief.refresh_from_db()  # the form opens on the current version
        return old.plain_heading, date_format(
            timezone.localtime(old.history_date), "DATETIME_FORMAT"
        )

    def test_a_revert_keeps_its_mark_through_review_into_the_history(
        self, author, reviewer, relief
    ):
        heading, when = self.revert_to_an_old_version(author, relief)
        submit(author, relief, plain_heading=heading)  # saved unchanged, to submit it
        revision = Revision.objects.get()
        assertContains(
            reviewer.get(review_url(revision)), f"This change restores the version of {when}"
        )
        decide(reviewer, revision, _approve="1", reviewer_role="GP")
        history = Section.objects.get(pk=relief.pk).history.first()
        assert history.plain_heading == heading
        assert history.history_change_reason == (
            f"Reverted to the version of {when} – Published: approved by Mei Lin, GP"
        )

    def test_an_edit_after_a_revert_is_no_longer_marked_as_one(self, author, reviewer, relief):
        self.revert_to_an_old_version(author, relief)
        submit(author, relief, plain_heading="Edited after the revert")
        revision = Revision.objects.get()
        assertNotContains(reviewer.get(review_url(revision)), "restores the version")
        decide(reviewer, revision, _approve="1", reviewer_role="GP")
        reason = Section.objects.get(pk=relief.pk).history.first().history_change_reason
        assert reason == "Published: approved by Mei Lin, GP"

    def test_who_wrote_a_new_page_cannot_approve_it(self, editors_group, reviewers_group, content):
        kim = account("Kim Park", reviewers_group)
        kim.groups.add(editors_group)
        article = Article.objects.get(slug="calf-muscle-spasm")
        data = {
            "article": article.pk, "kind": "relief", "heading": "Kim's section",
            "slug": "kims-section", "position": 9, "body": "Text as published.",
            "plain": "", "plain_heading": "", "help_level": "", "help_note": "",
        }  # fmt: skip
        logged_in(kim).post("/admin/articles/section/add/", data)
        section = Section.objects.get(slug="kims-section")
        submit(logged_in(account("Sam Ode", editors_group)), section)
        revision = Revision.objects.get()
        response = decide(logged_in(kim), revision, _approve="1", reviewer_role="GP")
        assert response.status_code == 403

    def test_unpublishing_stops_a_scheduled_change_from_bringing_the_page_back(
        self, author, reviewer, client, relief
    ):
        submit(author, relief, plain_heading="Later")
        revision = Revision.objects.get()
        soon = (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        decide(reviewer, revision, _approve="1", reviewer_role="GP", go_live_at=soon)
        author.post(f"/admin/articles/section/{relief.pk}/unpublish/")
        Revision.objects.filter(pk=revision.pk).update(go_live_at=timezone.now())
        call_command("publish_scheduled")
        assert client.get(RELIEF).status_code == 404
        assert Revision.objects.get().state == Revision.State.DRAFT

    def test_a_change_to_the_live_page_meanwhile_is_kept_when_the_draft_goes_live(
        self, author, reviewer, client, relief
    ):
        submit(author, relief, plain_heading="The draft's heading")
        live = Section.objects.get(pk=relief.pk)
        live.share_title = "Set on the live page meanwhile"
        live.save()
        decide(reviewer, Revision.objects.get(), _approve="1", reviewer_role="GP")
        published = Section.objects.get(pk=relief.pk)
        assert published.plain_heading == "The draft's heading"
        assert published.share_title == "Set on the live page meanwhile"

    def test_a_change_that_no_longer_fits_is_refused_not_a_crash(
        self, author, reviewer, client, relief, make_section
    ):
        submit(author, relief, slug="stretch-now")
        Section.objects.create(
            article=relief.article, kind="relief", heading="Taken", slug="stretch-now",
            body="Text.", position=20,
        )  # fmt: skip
        response = decide(reviewer, Revision.objects.get(), _approve="1", reviewer_role="GP")
        assert response.status_code == 302
        assert "Not done" in str(list(response.wsgi_request._messages))
        assert Section.objects.get(pk=relief.pk).slug == "relief"

    def test_a_shipped_section_can_move_to_the_other_article(
        self, author, reviewer, client, content
    ):
        """Both articles ship a "prevention" section: the loader's key for it must not stop
        an editor moving one of them."""
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="prevention")
        other = Article.objects.get(slug="sleeping-foot-cramp")
        # Its plain-English version cites the calf article's source, so it goes too.
        moved = {"article": other.pk, "slug": "prevention-from-the-calf-article"}
        submit(author, section, plain="", plain_heading="", **moved)
        response = decide(reviewer, Revision.objects.get(), _approve="1", reviewer_role="GP")
        assert "Not done" not in str(list(response.wsgi_request._messages))
        assert (
            client.get(
                "/articles/sleeping-foot-cramp/prevention-from-the-calf-article/"
            ).status_code
            == 200
        )
        assert client.get("/articles/calf-muscle-spasm/prevention/").status_code == 301

    def test_a_scheduled_change_that_fails_is_sent_back_and_others_still_go(
        self, author, reviewer, client, content
    ):
        spasm = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        foot = Section.objects.get(article__slug="sleeping-foot-cramp", slug="relief")
        soon = (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        submit(author, spasm, slug="stretch-now")
        submit(author, foot, plain_heading="Foot, later")
        for revision in Revision.objects.all():
            decide(reviewer, revision, _approve="1", reviewer_role="GP", go_live_at=soon)
        Section.objects.create(
            article=spasm.article, kind="relief", heading="Taken", slug="stretch-now",
            body="Text.", position=20,
        )  # fmt: skip
        Revision.objects.update(go_live_at=timezone.now())
        call_command("publish_scheduled")
        assertContains(client.get(foot.get_absolute_url()), "Foot, later")
        failed = Revision.objects.get(object_id=spasm.pk)
        assert failed.state == Revision.State.SENT_BACK
        assert failed.review_comment.startswith("Not published at its scheduled time")

    def test_a_deleted_page_takes_its_drafts_and_links_along(self, author, relief):
        save_draft(author, relief, plain_heading="Draft")
        author.post(f"/admin/articles/section/{relief.pk}/preview-links/", {"create": "1"})
        relief.delete()
        assert not Revision.objects.exists() and not PreviewLink.objects.exists()
        call_command("publish_scheduled")

    def test_deleting_a_page_with_a_draft_deletes_and_records_the_live_page(
        self, author, relief, editors_group
    ):
        live = relief.heading
        save_draft(author, relief, heading="Heading of a draft")
        author.post(f"/admin/articles/section/{relief.pk}/preview-links/", {"create": "1"})
        admin = logged_in(account("Sam Ruiz", editors_group, superuser=True))  # editors can't
        delete_url = f"/admin/articles/section/{relief.pk}/delete/"
        confirm = admin.get(delete_url)
        assertContains(confirm, live)
        assertNotContains(confirm, "Heading of a draft")
        assert admin.post(delete_url, {"post": "yes"}).status_code == 302
        # The history keeps the page as readers saw it, not the draft nobody published.
        assert Section.history.get(id=relief.pk, history_type="-").heading == live
        assert not Revision.objects.exists() and not PreviewLink.objects.exists()

    def test_a_form_open_on_a_discarded_draft_cannot_bring_it_back(self, author, relief):
        save_draft(author, relief, plain_heading="Thrown away")
        relief.refresh_from_db()
        stale = section_form(relief, publish=False, plain_heading="Thrown away")
        author.post(f"/admin/articles/section/{relief.pk}/discard-draft/")
        refused = author.post(change_url(relief), stale)
        assert refused.status_code == 303
        assert not Revision.objects.open().exists()

    def test_preview_links_show_only_the_linked_draft(self, author, client, content, relief):
        article = relief.article
        save_draft(author, relief, plain_heading="A section's draft")
        author.post(f"/admin/articles/article/{article.pk}/preview-links/", {"create": "1"})
        response = client.get(PreviewLink.objects.get().get_absolute_url())
        assertNotContains(response, "A section's draft")
        assertContains(response, relief.plain_heading)
        # It shows the site's share image: none is made of a draft's title.
        assertContains(response, "/static/img/share.png")
        # A bad revoke is a no-op, not an error.
        revoke = f"/admin/articles/article/{article.pk}/preview-links/"
        assert author.post(revoke, {"revoke": "x"}).status_code == 302


@pytest.mark.django_db
class TestNotices:
    """Reviewers learn by email that a change waits for them; authors, that it was sent back
    or published (articles/notices.py). One email each, sent once the decision is saved."""

    @pytest.fixture(autouse=True)
    def _emails(self, author, reviewer, reviewers_group, editors_group):
        for user in get_user_model().objects.all():
            user.email = f"{user.username}@nightcramps.test"
            user.save()
        self.other_reviewer = account("Ola Berg", reviewers_group)
        self.other_reviewer.email = "ola@nightcramps.test"
        self.other_reviewer.save()
        self.editor_only = account("Tom Reed", editors_group)
        self.editor_only.email = "tom@nightcramps.test"
        self.editor_only.save()

    def test_reviewers_hear_a_change_waits_and_its_author_how_it_ended(
        self, author, reviewer, relief, mailoutbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            submit(author, relief, plain_heading="Stop a cramp now")
        review = Revision.objects.get()
        assert sorted(mail.to[0] for mail in mailoutbox) == [
            "mei.lin@nightcramps.test",
            "ola@nightcramps.test",
        ]  # the reviewers: not the author, nor an editor
        waiting = mailoutbox[0]
        assert waiting.subject == f"Waiting for your review: “{relief}”"
        assert f"http://127.0.0.1:8000{review_url(review)}" in waiting.body
        assert "Ada Okafor asks you to review" in waiting.body

        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            decide(reviewer, review, _send_back="1", comment="Cite the source sentence.")
        [sent_back] = mailoutbox
        assert sent_back.to == ["ada.okafor@nightcramps.test"]
        assert "Cite the source sentence." in sent_back.body
        assert "sent back by Mei Lin" in sent_back.body

        mailoutbox.clear()
        relief.refresh_from_db()  # the draft's version, which the form carries
        with django_capture_on_commit_callbacks(execute=True):
            submit(author, relief, plain_heading="Stop a cramp now")
            decide(reviewer, Revision.objects.get(), _approve="1", reviewer_role="GP")
        published = [mail for mail in mailoutbox if mail.subject.startswith("Published")]
        assert [mail.to for mail in published] == [["ada.okafor@nightcramps.test"]]
        assert "Approved by Mei Lin, GP." in published[0].body
        assert f"http://127.0.0.1:8000{RELIEF}" in published[0].body

    def test_a_failing_mail_server_is_logged_and_the_decision_stands(
        self, author, relief, settings, caplog, django_capture_on_commit_callbacks
    ):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # refuses at once
        with django_capture_on_commit_callbacks(execute=True):
            response = submit(author, relief, plain_heading="Stop a cramp now")
        assert response.status_code == 302
        assert Revision.objects.get().state == Revision.State.SUBMITTED
        assert "Error calling" in caplog.text  # Django's own log line for a failed on_commit
