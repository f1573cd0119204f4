"""Editors never lose work: drafts, preview, history and restore, edit conflicts, images,
editor accounts, login throttling and review dates."""

import re
import struct
import threading
import zlib
from datetime import date, datetime, timedelta
from html import unescape
from io import BytesIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.redirects.models import Redirect
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from articles.markdown import IMAGE_SIZES
from articles.models import Article, EditConflict, Section, Status
from tests.helpers.admin_forms import article_form, change_url, section_form

SPASM = "/articles/calf-muscle-spasm/"


def relief():
    return Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")


@pytest.fixture
def second_editor(db):
    return get_user_model().objects.create_user(
        "second", password="another long password", is_staff=True, is_superuser=True
    )


@pytest.mark.django_db
class TestDrafts:
    def test_draft_section_is_absent_for_readers_everywhere(self, client, content):
        section = relief()
        section.status = Status.DRAFT
        section.save()
        heading = "Three measures to relieve leg cramps and night pain"
        for url in (SPASM, "/relief/", f"{SPASM}causes/", "/"):
            assertNotContains(client.get(url), heading)
        assert client.get(f"{SPASM}relief/").status_code == 404

    def test_draft_article_is_absent_with_all_its_pages(self, client, content):
        article = Article.objects.get(slug="sleeping-foot-cramp")
        article.status = Status.DRAFT
        article.save()
        for url in ("/", "/causes/", "/relief/"):
            assertNotContains(client.get(url), "Sihai network")
        for path in ("", "causes/", "source/"):
            assert client.get(f"/articles/sleeping-foot-cramp/{path}").status_code == 404

    def test_staff_preview_shows_drafts_as_they_will_look(self, client, editor, content):
        section = relief()
        section.status = Status.DRAFT
        section.save()
        for url in (f"/preview{SPASM}relief/", f"/preview{SPASM}"):
            assert client.get(url).status_code == 404
        client.force_login(editor)
        page = client.get(f"/preview{SPASM}relief/")
        assertContains(page, "Preview for editors")
        assertContains(page, "Draft: readers do not see this section yet.")
        assertContains(page, section.standalone_html, html=True)
        assertContains(page, '<meta name="robots" content="noindex">')
        assertContains(client.get(f"/preview{SPASM}"), "Three measures to relieve leg cramps")

    def test_new_content_starts_as_a_draft(self, article):
        section = Section.objects.create(article=article, kind="relief", heading="H", slug="h")
        assert section.status == Status.DRAFT

    def test_admin_view_on_site_opens_the_preview_for_drafts(self, editor_client, content):
        section = relief()
        section.status = Status.DRAFT
        section.save()
        assertContains(editor_client.get(change_url(section)), f'href="/preview{SPASM}relief/"')


@pytest.fixture
def no_review(settings):
    """A site that publishes without review: editors publish their own changes."""
    settings.PUBLISHING_NEEDS_REVIEW = False


@pytest.mark.django_db
@pytest.mark.usefixtures("no_review")
class TestHistory:
    def test_every_save_keeps_a_version_with_who_when_and_content(self, editor_client, content):
        section = relief()
        before = section.history.count()
        body = section.body.replace("gently massage", "very gently massage")
        editor_client.post(change_url(section), section_form(section, body=body))
        latest = section.history.first()
        assert section.history.count() == before + 1
        assert latest.history_user.username == "editor"
        assert latest.body == body and latest.heading == section.heading

    def test_history_page_shows_a_readable_difference(self, editor_client, content):
        section = relief()
        body = section.body.replace("gently massage", "very gently massage")
        editor_client.post(change_url(section), section_form(section, body=body))
        page = editor_client.get(f"{change_url(section).removesuffix('change/')}history/")
        assertContains(page, "<ins>very </ins>", html=True)
        assertContains(page, "editor")

    def test_history_names_who_changed_it_and_links_them_only_for_who_may_open_users(
        self, client, editor, content
    ):
        writer = get_user_model().objects.create_user(
            "aokafor", first_name="Ada", last_name="Okafor", is_staff=True
        )
        writer.groups.add(Group.objects.get(name="Editors"))
        section = relief()
        client.force_login(writer)
        client.post(change_url(section), section_form(section, heading="Three measures"))
        history = f"{change_url(section).removesuffix('change/')}history/"
        user_link = f'<a href="/admin/auth/user/{writer.pk}/change/">Ada Okafor</a>'

        as_editor = client.get(history)
        assertContains(as_editor, "Ada Okafor")
        assertNotContains(as_editor, "aokafor")
        assertNotContains(as_editor, "/admin/auth/user/")
        client.force_login(editor)  # a superuser, who may open the account
        assertContains(client.get(history), user_link, html=True)

    def test_any_two_versions_can_be_compared(self, client, content):
        writer = get_user_model().objects.create_user("ed", is_staff=True)
        writer.groups.add(Group.objects.get(name="Editors"))
        client.force_login(writer)
        section = relief()
        first = section.history.get()
        client.post(change_url(section), section_form(section, heading="Three measures"))
        section.refresh_from_db()
        body = section.body.replace("gently massage", "very gently massage")
        client.post(change_url(section), section_form(section, body=body))
        history = f"{change_url(section).removesuffix('change/')}history/"
        newest = section.history.first()
        page = client.get(history)
        assertContains(page, '<select id="compare-from" name="from">')
        assertContains(page, f'<option value="{newest.pk}" selected>3. ')

        compared = client.get(f"{history}compare/", {"from": first.pk, "to": newest.pk})
        assertContains(compared, "<ins>very </ins>", html=True)  # the second change
        assertContains(compared, "relieve leg cramps and night pain</del>")  # the first
        swapped = client.get(f"{history}compare/", {"from": newest.pk, "to": first.pk})
        assertContains(swapped, "<ins>very </ins>", html=True)  # older to newer either way
        other = Section.objects.exclude(pk=section.pk).first().history.first()
        for query in ({"from": first.pk, "to": other.pk}, {"from": "x", "to": newest.pk}):
            assert client.get(f"{history}compare/", query).status_code == 404

    def test_restoring_an_old_version_is_one_step_and_itself_a_version(
        self, editor_client, client, content
    ):
        section = relief()
        original = section.history.first()
        # An afternoon's version: its time ends in "p.m.", which a full stop must not follow.
        afternoon = timezone.make_aware(datetime(2025, 3, 14, 15, 26))
        Section.history.filter(history_id=original.history_id).update(history_date=afternoon)
        original.refresh_from_db()
        editor_client.post(change_url(section), section_form(section, body="Replaced text."))
        section.refresh_from_db()
        assert section.body == "Replaced text."
        count = section.history.count()

        revert_url = f"{change_url(section).removesuffix('change/')}history/{original.pk}/"
        form = editor_client.get(revert_url)
        assertContains(form, "Revert")
        base_version = re.search(r'name="base_version" value="(\d+)"', form.content.decode())
        data = section_form(original.instance, base_version=base_version.group(1))
        reverted = editor_client.post(revert_url, data, follow=True)
        assertRedirects(reverted, "/admin/articles/section/")
        when = date_format(timezone.localtime(original.history_date), "DATETIME_FORMAT")
        assertContains(
            reverted, f"Reverted to the version of {when} (restored as a new version). “"
        )
        assertNotContains(reverted, "p.m..")
        assertNotContains(reverted, "changed successfully")

        section.refresh_from_db()
        assert section.body == original.body
        assert section.history.count() == count + 1
        assertContains(client.get(f"{SPASM}relief/"), "The first trick")


@pytest.mark.django_db
class TestEditConflicts:
    def test_second_save_is_refused_with_who_and_when_and_keeps_the_text(
        self, client, editor, second_editor, content
    ):
        section = relief()
        first, second = client, client.__class__()
        first.force_login(editor)
        second.force_login(second_editor)
        # Both open the form at the same version.
        assertContains(first.get(change_url(section)), f'value="{section.version}"')
        second.get(change_url(section))
        first_form = section_form(section, body=section.body + "\n\nFirst editor's words.")
        second_form = section_form(
            section,
            body=section.body + "\n\nSecond editor's words.",
            share_title="Second editor's share title",  # not shown to readers on the page
        )

        assertRedirects(first.post(change_url(section), first_form), "/admin/articles/section/")
        refused = second.post(change_url(section), second_form, follow=True)

        # Post/Redirect/Get: reloading the page cannot send the refused form again.
        assertRedirects(refused, change_url(section), status_code=303)
        assertContains(refused, "Editor saved this section at")  # the admin capitalises
        assertContains(refused, "your changes have not been saved")
        # Their changes since the second editor opened the form, beside the second's text.
        assertContains(refused, "First editor&#x27;s words.</ins>")
        assertContains(refused, "Second editor&#x27;s words.</textarea>")
        assertContains(refused, "Second editor&#x27;s share title</textarea>")
        assertNotContains(refused, "Slug: your text")  # what neither of them changed
        section.refresh_from_db()
        assert section.body.endswith("First editor's words.")
        # The form now starts from their version: the second editor can save from it.
        again = second.get(change_url(section))
        assertContains(again, "Second editor&#x27;s words.</textarea>")  # a reload keeps it
        merged = section_form(section, body=section.body + "\n\nSecond editor's words.")
        assertRedirects(second.post(change_url(section), merged), "/admin/articles/section/")
        assertNotContains(second.get(change_url(section)), "Your changes, not saved")

    def test_opening_a_form_someone_opened_minutes_ago_says_who_and_when(
        self, client, editor, content, monkeypatch
    ):
        from articles import admin as articles_admin

        ada = get_user_model().objects.create_user(
            "ada", first_name="Ada", last_name="Okafor", is_staff=True, is_superuser=True
        )
        section = relief()
        ada_client = Client()
        ada_client.force_login(ada)
        client.force_login(editor)
        notice = "Someone else may be editing this section"
        assertNotContains(ada_client.get(change_url(section)), notice)  # nobody else yet

        opened = client.get(change_url(section))
        assertContains(opened, notice)
        assertContains(opened, "Ada Okafor opened it at")
        assertNotContains(ada_client.get(change_url(section)), "Ada Okafor opened")  # not herself
        assertContains(ada_client.get(change_url(section)), "editor opened it at")
        assertNotContains(client.get(change_url(relief().article)), notice)  # another object

        later = timezone.now() + articles_admin.OPENED_RECENTLY
        monkeypatch.setattr(articles_admin.timezone, "now", lambda: later)
        assertNotContains(client.get(change_url(section)), notice)

    def test_someone_who_may_only_look_is_not_taken_for_an_editor(
        self, client, editor, content, reviewers_group
    ):
        reviewer = get_user_model().objects.create_user(
            "mlin", first_name="Mei", last_name="Lin", is_staff=True
        )
        reviewer.groups.add(reviewers_group)  # may view sections, not change them
        section = relief()
        reviewer_client = Client()
        reviewer_client.force_login(reviewer)
        client.force_login(editor)
        assert reviewer_client.get(change_url(section)).status_code == 200
        opened = client.get(change_url(section))
        assertNotContains(opened, "Someone else may be editing this section")
        assertNotContains(opened, "Mei Lin")
        # Nor does the notice, about saves that may be refused, concern the reviewer.
        assertNotContains(reviewer_client.get(change_url(section)), "Someone else may be")

    @pytest.mark.django_db(transaction=True)
    def test_of_20_concurrent_saves_from_one_version_exactly_one_wins(self, content):
        section = relief()
        base, versions_before = section.version, section.history.count()
        barrier = threading.Barrier(20)
        outcomes = []

        def save(n):
            try:
                mine = Section.objects.get(pk=section.pk)
                mine.body = f"Text from editor {n}."
                barrier.wait(timeout=30)
                mine.save(expected_version=base)
                outcomes.append(("saved", n))
            except EditConflict:
                outcomes.append(("conflict", n))
            finally:
                connection.close()

        threads = [threading.Thread(target=save, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        saved = [n for outcome, n in outcomes if outcome == "saved"]
        assert len(outcomes) == 20
        assert len(saved) == 1, outcomes
        section.refresh_from_db()
        assert section.body == f"Text from editor {saved[0]}."
        assert section.version == base + 1
        assert section.history.count() == versions_before + 1

    @pytest.mark.django_db(transaction=True)
    def test_of_20_concurrent_reverts_one_wins_and_the_rest_see_the_conflict(self, editor, content):
        section = relief()
        original = section.history.last()
        section.body = "Replaced text."
        section.save()
        revert_url = f"{change_url(section).removesuffix('change/')}history/{original.pk}/"
        data = section_form(original.instance, base_version=section.version)
        barrier = threading.Barrier(20)
        answers = []

        def revert():
            client = Client()
            client.force_login(editor)
            try:
                barrier.wait(timeout=30)
                response = client.post(revert_url, data)
                answers.append((response.status_code, response.content.decode()))
            except Exception as error:  # the test client raises what would be a 500
                answers.append((500, repr(error)))
            finally:
                connection.close()

        threads = [threading.Thread(target=revert) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert len(answers) == 20
        statuses = sorted(status for status, _ in answers)
        assert statuses == [200] * 19 + [302], [a for a in answers if a[0] == 500][:1]
        for status, html in answers:
            if status == 200:
                assert "your changes have not been saved" in html
        assert relief().body == original.body

    def test_article_saves_are_checked_too(self, editor_client, content):
        article = Article.objects.get(slug="calf-muscle-spasm")
        stale = article_form(article, title="Stale title")
        article.title = "Someone else's title"
        article.save(expected_version=article.version)
        response = editor_client.post(change_url(article), stale, follow=True)
        assertContains(response, "saved this article")
        assertContains(response, "Stale title</textarea>")
        assert Article.objects.get(pk=article.pk).title == "Someone else's title"


def image_file(fmt="PNG", size=(40, 30), name="calf.png"):
    buffer = BytesIO()
    Image.new("RGB", size, "teal").save(buffer, fmt)
    buffer.seek(0)
    buffer.name = name
    return buffer


def upload(client, file):
    return client.post(
        "/markdownx/upload/", {"image": file}, headers={"x-requested-with": "XMLHttpRequest"}
    )


@pytest.mark.django_db
class TestImages:
    @pytest.mark.parametrize(
        ("fmt", "extension"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")]
    )
    def test_editor_uploads_an_image_that_is_served_safely(
        self, editor_client, client, fmt, extension
    ):
        response = upload(editor_client, image_file(fmt, name="holiday photo.bin"))
        assert response.status_code == 200
        code = response.json()["image_code"]
        # With its size, so pages can reserve its place before it loads.
        url = re.fullmatch(
            rf"!\[\]\((/media/uploads/[0-9a-f]{{32}}\.{extension})\)\{{width=40 height=30\}}",
            code,
        )
        assert url, code
        served = client.get(url.group(1))
        assert served.status_code == 200
        assert served["Content-Type"] == f"image/{'jpeg' if fmt == 'JPEG' else fmt.lower()}"
        assert served["X-Content-Type-Options"] == "nosniff"
        assert Image.open(BytesIO(b"".join(served.streaming_content))).format == fmt

    def test_a_wide_upload_gets_narrower_and_webp_copies_that_pages_offer(
        self, editor_client, client, content
    ):
        code = upload(editor_client, image_file(size=(1200, 800))).json()["image_code"]
        stem = re.search(r"/media/uploads/([0-9a-f]{32})\.png", code)[1]
        for name, size, fmt in [
            (f"{stem}-480.png", (480, 320), "PNG"),
            (f"{stem}-960.webp", (960, 640), "WEBP"),
            (f"{stem}.webp", (1200, 800), "WEBP"),
        ]:
            served = client.get(f"/media/uploads/{name}")
            assert served.status_code == 200, name
            copy = Image.open(BytesIO(b"".join(served.streaming_content)))
            assert (copy.size, copy.format) == (size, fmt)

        section = relief()
        body = f"{section.body}\n\n{code.replace('![]', '![A teal card]')}"
        editor_client.post(change_url(section), section_form(section, body=body))
        uploads = f"/media/uploads/{stem}"
        assertContains(
            client.get(f"{SPASM}relief/"),
            f'<picture><source sizes="{IMAGE_SIZES}" srcset="{uploads}-480.webp 480w, '
            f'{uploads}-960.webp 960w, {uploads}.webp 1200w" type="image/webp">'
            f'<img alt="A teal card" height="800" sizes="{IMAGE_SIZES}" src="{uploads}.png" '
            f'srcset="{uploads}-480.png 480w, {uploads}-960.png 960w, {uploads}.png 1200w" '
            'width="1200"></picture>',
            html=True,
        )

    def test_an_editor_cannot_point_srcset_elsewhere(self, editor_client):
        body = '<img alt="x" src="/media/a.png" srcset="https://tracker.example/p.png 1w">'
        preview = editor_client.post("/markdownx/markdownify/", {"content": body})
        assertNotContains(preview, "tracker.example")

    @pytest.mark.parametrize(
        ("content", "name", "message"),
        [
            (
                b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
                "x.svg",
                "SVG is not accepted",
            ),
            (b"GIF89a" + b"\x00" * 40, "x.gif", "Only PNG, JPEG and WebP"),
            (b"<script>alert(1)</script>", "looks-like.png", "Only PNG, JPEG and WebP"),
        ],
    )
    def test_anything_but_png_jpeg_webp_is_refused_with_a_reason(
        self, editor_client, settings, content, name, message
    ):
        file = BytesIO(content)
        file.name = name
        response = upload(editor_client, file)
        assert response.status_code == 400
        assert message in " ".join(response.json()["image"])
        assert not any(settings.MEDIA_ROOT.rglob("*.*")) if settings.MEDIA_ROOT.exists() else True

    def test_size_and_pixel_limits(self, editor_client):
        big = upload(editor_client, BytesIO(b"\x89PNG" + b"\x00" * (5 * 1024 * 1024 + 1)))
        assert big.status_code == 400 and "the limit is 5 MB" in big.json()["image"][0]
        huge = upload(editor_client, image_file(size=(6000, 5000)))
        assert huge.status_code == 400 and "million pixels" in huge.json()["image"][0]

    def test_only_staff_can_upload(self, client):
        assert upload(client, image_file()).status_code == 403

    def test_image_shows_in_preview_and_page_and_missing_alt_is_flagged(
        self, editor_client, client, content
    ):
        url = re.search(r"\((.*)\)", upload(editor_client, image_file()).json()["image_code"])[1]
        section = relief()
        body = f"{section.body}\n\n![]({url})"
        preview = editor_client.post("/markdownx/markdownify/", {"content": body})
        assert f'<img alt="" src="{url}">' in preview.content.decode()
        saved = editor_client.post(
            change_url(section), section_form(section, body=body), follow=True
        )
        # Flagged before it can go live: kept as a draft, not published.
        assertContains(saved, "It was not published: 1 image(s) have no description (alt text)")
        assertNotContains(client.get(f"{SPASM}relief/"), f'src="{url}"')

        described = body.replace("![]", "![A calf being stretched]")
        section.refresh_from_db()
        saved = editor_client.post(
            change_url(section), section_form(section, body=described), follow=True
        )
        assertNotContains(saved, "have no description")
        assertContains(client.get(f"{SPASM}relief/"), f'src="{url}"')


@pytest.mark.django_db
@pytest.mark.usefixtures("no_review")
class TestEditorAccounts:
    def test_editors_group_has_exactly_the_editing_permissions(self):
        codenames = set(
            Group.objects.get(name="Editors").permissions.values_list("codename", flat=True)
        )
        assert codenames == {
            "add_article", "change_article", "view_article",
            "add_section", "change_section", "view_section",
            "view_historicalarticle", "view_historicalsection",
            "change_pagetext", "view_pagetext", "view_historicalpagetext",
            "view_redirect", "view_revision",
            # Search synonyms and pinned results are theirs to keep; readers' reports theirs
            # to read and mark (#11).
            "add_searchsynonym", "change_searchsynonym", "delete_searchsynonym",
            "view_searchsynonym", "add_promotedresult", "change_promotedresult",
            "delete_promotedresult", "view_promotedresult", "view_feedback", "change_feedback",
        }  # fmt: skip

    def test_an_editor_can_edit_but_not_delete_articles_or_manage_users(self, client, content):
        user = get_user_model().objects.create_user("ed", password="x" * 20, is_staff=True)
        user.groups.add(Group.objects.get(name="Editors"))
        client.force_login(user)
        section = relief()
        response = client.post(change_url(section), section_form(section, heading="Three measures"))
        assertRedirects(response, "/admin/articles/section/")
        article = section.article
        assert client.get(f"/admin/articles/article/{article.pk}/delete/").status_code == 403
        assert client.get("/admin/auth/user/").status_code == 403

    def test_an_editor_sees_the_redirects_a_rename_made_but_cannot_change_them(
        self, client, content
    ):
        user = get_user_model().objects.create_user("ed", password="x" * 20, is_staff=True)
        user.groups.add(Group.objects.get(name="Editors"))
        client.force_login(user)
        section = relief()
        client.post(change_url(section), section_form(section, slug="stop-a-leg-cramp"))
        listing = client.get("/admin/redirects/redirect/")
        assertContains(listing, f"{SPASM}relief/")
        assertContains(listing, f"{SPASM}stop-a-leg-cramp/")
        assertNotContains(listing, "Add redirect")
        redirect = Redirect.objects.get(old_path=f"{SPASM}relief/")
        url = f"/admin/redirects/redirect/{redirect.pk}/change/"
        assertNotContains(client.get(url), 'name="_save"')  # read only
        refused = client.post(url, {"site": 1, "old_path": "/x/", "new_path": "/"})
        assert refused.status_code == 403
        assert client.get(f"/admin/redirects/redirect/{redirect.pk}/delete/").status_code == 403


@pytest.mark.django_db
class TestLoginThrottling:
    def login(self, client, password):
        return client.post(
            "/admin/login/?next=/admin/", {"username": "editor", "password": password}
        )

    def test_five_failures_pause_the_account_with_a_clear_page(self, client, editor):
        for _ in range(4):
            assert self.login(client, "wrong").status_code == 200
        locked = self.login(client, "wrong")
        assert locked.status_code == 429
        assertContains(locked, "Login paused for this account", status_code=429)
        assertContains(locked, "You can try again in 15 minutes", status_code=429)
        # Even the right password is refused during the cool-off.
        assert self.login(client, "a long editor password").status_code == 429

    def test_the_account_opens_again_after_the_cool_off(self, client, editor):
        for _ in range(5):
            self.login(client, "wrong")
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
        assertRedirects(self.login(client, "a long editor password"), "/admin/")


@pytest.mark.django_db
class TestReviewDates:
    def test_pages_show_review_dates_or_last_updated(self, client, content):
        assertContains(client.get(SPASM), "Last updated:")
        article = Article.objects.get(slug="calf-muscle-spasm")
        article.last_reviewed = date(2026, 11, 1)
        article.reviewed_by, article.reviewer_role = "Dr Ann Example", "general practitioner"
        article.next_review_due = date(2027, 11, 1)
        article.save()
        # A page is reviewed as far as everything it shows is.
        article.sections.update(
            last_reviewed=date(2026, 11, 1),
            reviewed_by="Dr Ann Example",
            reviewer_role="general practitioner",
        )
        for url in (SPASM, f"{SPASM}causes/"):
            page = client.get(url)
            assertContains(
                page,
                'Page last reviewed: <time datetime="2026-11-01">1 November 2026</time> '
                "by Dr Ann Example, general practitioner.",
            )
            assertContains(
                page, 'Next review due: <time datetime="2027-11-01">1 November 2027</time>'
            )

    def test_admin_lists_overdue_reviews(self, editor_client, content):
        overdue = Article.objects.get(slug="calf-muscle-spasm")
        overdue.last_reviewed, overdue.next_review_due = date(2025, 1, 1), date(2025, 6, 1)
        overdue.save()
        page = editor_client.get("/admin/articles/article/?review=overdue")
        assertContains(page, "How to treat and recover calf muscle spasm?")
        assertContains(page, "(overdue)")
        assertNotContains(page, "Sihai network")

    def test_next_review_must_follow_the_last(self, content):
        from django.core.exceptions import ValidationError

        article = Article.objects.get(slug="calf-muscle-spasm")
        article.last_reviewed, article.next_review_due = date(2026, 6, 1), date(2026, 1, 1)
        article.reviewed_by, article.reviewer_role = "Dr Ann Example", "general practitioner"
        with pytest.raises(ValidationError, match="must come after"):
            article.full_clean()


@pytest.mark.django_db
class TestNothingIsLost:
    """Paths around the edit form that must not lose or silently overwrite work."""

    def test_a_save_from_code_refuses_an_editor_form_opened_before_it(self, editor_client, content):
        section = relief()
        stale = section_form(section, body=section.body + "\n\nEditor's words.")
        shipped = relief()
        shipped.body += "\n\nA shipped correction."
        shipped.save()  # e.g. the content loader
        response = editor_client.post(change_url(section), stale, follow=True)
        assertContains(response, "your changes have not been saved")
        assertContains(response, "A shipped correction.</ins>")
        assert relief().body.endswith("A shipped correction.")

    def test_an_edit_form_without_its_version_is_refused(self, editor_client, content):
        section = relief()
        data = section_form(section, body="Overwrite.")
        del data["base_version"]
        response = editor_client.post(change_url(section), data)
        assert response.status_code == 200
        assert relief().body != "Overwrite."

    def test_a_save_that_loses_the_race_after_validation_keeps_the_text(
        self, editor_client, content, monkeypatch
    ):
        from articles import admin as articles_admin

        section = relief()
        data = section_form(section, body="Typed by the slower editor.")
        winner = relief()
        winner.body = "Saved by the faster editor."
        winner.save()
        # The form's check runs before the other save lands; the save itself must still
        # refuse, and the editor must see the form again, not an error page.
        checks = iter([section.version, section.version])  # the form built, then checked
        original = articles_admin.VersionCheckedForm._current_version
        monkeypatch.setattr(
            articles_admin.VersionCheckedForm,
            "_current_version",
            lambda form: next(checks, None) or original(form),
        )
        response = editor_client.post(change_url(section), data, follow=True)
        assertRedirects(response, change_url(section), status_code=303)
        assertContains(response, "your changes have not been saved")
        assertContains(response, "Typed by the slower editor.</textarea>")
        assert relief().body == "Saved by the faster editor."

    def test_article_page_does_not_save_section_rows(self, editor_client, content):
        article = Article.objects.get(slug="calf-muscle-spasm")
        versions = list(article.sections.values_list("pk", "version", "position"))
        data = article_form(article, title="A new title")
        data["sections-0-position"] = 999  # read-only there: ignored
        assertRedirects(editor_client.post(change_url(article), data), "/admin/articles/article/")
        assert list(article.sections.values_list("pk", "version", "position")) == versions

    def test_browser_line_endings_do_not_count_as_an_edit(self, editor_client, content):
        from articles.loader import load_content

        section = relief()
        crlf = section.body.replace("\n", "\r\n")
        editor_client.post(change_url(section), section_form(section, body=crlf, status="draft"))
        assert "\r" not in relief().body
        assert load_content()["sections kept as edited"] == 0

    def test_too_long_anchor_is_a_form_error_not_a_crash(self, editor_client, content):
        section = relief()
        body = section.body + "\n\n### " + "Stretch " * 40 + "\n\nText."
        response = editor_client.post(change_url(section), section_form(section, body=body))
        assert response.status_code == 200
        assertContains(response, "at most 80 characters")

    def test_a_renamed_draft_leaves_no_public_redirect(self, client, content):
        from django.contrib.redirects.models import Redirect

        section = relief()
        section.status = Status.DRAFT
        section.slug = "secret-new-name"
        section.save()
        assert not Redirect.objects.filter(new_path__contains="secret-new-name").exists()
        assert client.get(f"{SPASM}relief/").status_code == 404

    def test_renaming_an_article_reveals_none_of_its_draft_sections(self, client, content):
        section = relief()
        section.status = Status.DRAFT
        section.save()
        assert client.get(f"{SPASM}relief/").status_code == 404
        article = Article.objects.get(slug="calf-muscle-spasm")
        article.slug = "calf-spasm"
        article.save()
        assert client.get(f"{SPASM}relief/").status_code == 404
        assert client.get(f"{SPASM}causes/").status_code == 301  # published: kept working


@pytest.mark.django_db
class TestLoaderRespectsRemovals:
    def test_a_deleted_shipped_section_is_not_brought_back(self, content):
        from articles.loader import load_content

        relief().delete()
        counts = load_content()
        assert counts["sections kept as removed"] == 1
        assert not Section.objects.filter(article__slug="calf-muscle-spasm", slug="relief").exists()

    def test_a_section_moved_to_another_article_is_not_duplicated(self, content):
        from articles.loader import load_content

        section = relief()
        section.article = Article.objects.get(slug="sleeping-foot-cramp")
        section.slug = "three-measures"
        section.save()
        load_content()
        assert Section.objects.filter(body__contains="The first trick").count() == 1


@pytest.mark.django_db
def test_uploaded_jpeg_keeps_no_metadata(editor_client, client):
    buffer = BytesIO()
    Image.new("RGB", (20, 20), "teal").save(buffer, "JPEG", comment=b"Taken at 12 Home Street")
    buffer.seek(0)
    buffer.name = "x.jpg"
    url = re.search(r"\((.*)\)", upload(editor_client, buffer).json()["image_code"])[1]
    stored = b"".join(client.get(url).streaming_content)
    assert b"Home Street" not in stored
    assert editor_client.get("/markdownx/upload/").status_code == 405


def png_with_chunk(kind, payload):
    """A small real PNG with one more chunk before its image data (where Pillow reads it
    when opening the file)."""
    buffer = BytesIO()
    Image.new("RGB", (4, 4), "teal").save(buffer, "PNG")
    png = buffer.getvalue()
    chunk = struct.pack(">I", len(payload)) + kind + payload
    chunk += struct.pack(">I", zlib.crc32(kind + payload))
    at = png.index(b"IDAT") - 4
    return png[:at] + chunk + png[at:]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        # 2 MB of text or colour profile in about 2 KB: past Pillow's limit once expanded.
        (b"zTXt", b"Comment\x00\x00" + zlib.compress(b"\0" * 2 * 1024 * 1024, 9)),
        (b"iCCP", b"profile\x00\x00" + zlib.compress(b"\0" * 2 * 1024 * 1024, 9)),
    ],
)
def test_an_image_pillow_cannot_read_safely_is_refused_with_a_reason(
    editor_client, settings, kind, payload
):
    file = BytesIO(png_with_chunk(kind, payload))
    assert len(file.getvalue()) < 3000
    file.name = "bomb.png"
    response = upload(editor_client, file)
    assert response.status_code == 400
    assert "could not be read safely" in " ".join(response.json()["image"])
    assert not settings.MEDIA_ROOT.exists() or not any(settings.MEDIA_ROOT.rglob("*.*"))


@pytest.mark.django_db
def test_a_phone_cameras_mpo_jpeg_is_accepted_as_jpeg_without_metadata(editor_client, client):
    first, second = Image.new("RGB", (20, 20), "teal"), Image.new("RGB", (20, 20), "red")
    exif = Image.Exif()
    exif[0x010E] = "Taken at 12 Home Street"  # ImageDescription
    buffer = BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second], exif=exif)
    assert Image.open(BytesIO(buffer.getvalue())).format == "MPO"
    buffer.seek(0)
    buffer.name = "IMG_0001.JPG"
    response = upload(editor_client, buffer)
    assert response.status_code == 200, response.content
    url = re.search(r"\((.*\.jpg)\)", response.json()["image_code"])[1]
    stored = b"".join(client.get(url).streaming_content)
    assert b"Home Street" not in stored
    image = Image.open(BytesIO(stored))
    assert image.format == "JPEG"
    assert getattr(image, "n_frames", 1) == 1
    red, green, blue = image.getpixel((10, 10))
    assert green > red  # teal, the first frame


NOTE_TEXT = "    The figure is garbled in the source and kept as published."


@pytest.mark.django_db
class TestEditorsNotes:
    def test_the_help_texts_example_copied_as_is_gives_a_note_readers_see_as_editorial(
        self, editor_client, client, content
    ):
        section = relief()
        page = editor_client.get(change_url(section)).content.decode()
        help_text = page.split('id="id_body_helptext"', 1)[1].split("</div>", 2)[:2]
        example = re.search(r'!!! editorial ".*?"', unescape("".join(help_text)))[0]
        assert example == '!!! editorial "Editor\'s note"'

        body = f"{section.body}\n\n{example}\n{NOTE_TEXT}"
        assertRedirects(
            editor_client.post(change_url(section), section_form(section, body=body)),
            "/admin/articles/section/",
        )
        assertContains(
            client.get(f"{SPASM}relief/"),
            '<div class="admonition editorial"><p class="admonition-title">Editor\'s note</p>'
            "<p>The figure is garbled in the source and kept as published.</p></div>",
            html=True,
        )

    @pytest.mark.parametrize(
        ("note", "message"),
        [
            (
                f'!!! editorial "Editor\\\'s note"\n{NOTE_TEXT}',
                "Line 3: the note's title has a backslash, which readers would see.",
            ),
            (
                '!!! editorial "Editor\'s note"\n  Indented by two spaces only.',
                "Line 3: the editor's note has no text indented by four spaces under it",
            ),
            ('!!! editorial "Editor\'s note"', "Line 3: the editor's note has no text"),
            (
                f"!!! editorial Editor's note\n{NOTE_TEXT}",
                "Line 3: “!!! editorial Editor's note” is not an editor's note that can be shown.",
            ),
            (
                f'  !!! editorial "Editor\'s note"\n{NOTE_TEXT}',
                "Line 3: “!!! editorial \"Editor's note\"” is not an editor's note",
            ),
            (
                f'!!! warning "Warning"\n{NOTE_TEXT}',
                "Line 3: only editor's notes can be added as boxes",
            ),
            (
                '> !!! editorial "Editor\'s note"\n> Not indented.',
                "An editor's note has no text.",
            ),
            (  # items 3, 4... would be shown inside item 2
                f'1. One.\n2. Two.\n\n    !!! editorial "Editor\'s note"\n    {NOTE_TEXT}\n3. Three.',
                "Line 6: leave a blank line between the editor's note and the line after it "
                "(line 8), or the rest of the list is shown inside this item.",
            ),
        ],
        ids=[
            *("backslash", "two-spaces", "nothing-under", "no-quotes", "indented", "kind"),
            *("quote", "list-goes-on-inside-the-note"),
        ],
    )
    def test_a_note_that_would_not_show_as_a_note_is_refused_saying_where(
        self, editor_client, client, content, note, message
    ):
        section = relief()
        body = f"Opening words.\n\n{note}\n\nClosing words."
        refused = editor_client.post(change_url(section), section_form(section, body=body))
        assert refused.status_code == 200
        assertContains(refused, escape(message))
        assertContains(refused, escape(note.splitlines()[-1]))  # the text stays in the form
        section.refresh_from_db()
        assert "Opening words." not in section.body
        preview = editor_client.post("/markdownx/markdownify/", {"content": body})
        if message.startswith("Line"):  # the preview says so as the editor types
            assertContains(preview, escape(message))
