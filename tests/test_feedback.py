"""Readers' reports of a problem with a page (#11): the link on every page, the form, its
limits and protections, and the editors' list."""

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from articles.feedback import MAX_MESSAGE_LENGTH, MAX_REPORTS_PER_HOUR
from articles.models import Feedback, Section, Status

SPASM = "/articles/calf-muscle-spasm/"
CONTENT_PAGES = ["/", "/relief/", "/causes/", "/prevention/", SPASM, f"{SPASM}causes/",
                 f"{SPASM}source/", "/about/", "/search/?q=calcium"]  # fmt: skip
FORM = reverse("articles:feedback")


def send(client, page=f"{SPASM}causes/", **fields):
    data = {"page": page, "message": "The second step is unclear.", "email": "", **fields}
    return client.post(FORM, data)


@pytest.mark.django_db
class TestReporting:
    @pytest.mark.parametrize("url", CONTENT_PAGES)
    def test_every_content_page_links_to_the_form_for_itself(self, client, content, url):
        path = url.split("?")[0]
        assertContains(
            client.get(url),
            f'<a href="{FORM}?page={path}" rel="nofollow">Report a problem with this page</a>',
            html=True,
        )

    def test_form_page_names_the_page_and_is_not_cached(self, client, content):
        response = client.get(FORM, {"page": f"{SPASM}causes/"})
        assertContains(response, f'<input type="hidden" name="page" value="{SPASM}causes/">')
        assertContains(response, "What is wrong on this page?")
        assertContains(response, "csrfmiddlewaretoken")
        assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
        assertNotContains(response, "Report a problem with this page")

    def test_report_is_stored_with_page_and_time(self, client, content):
        response = send(client, email="reader@example.com")
        assert response.status_code == 302
        thanks = client.get(response["Location"])
        assertContains(thanks, "Thank you for your report")
        assertContains(thanks, f'<a href="{SPASM}causes/">Back to the page</a>', html=True)
        assert "no-store" in thanks["Cache-Control"]
        report = Feedback.objects.get()
        assert (report.page, report.email, report.status) == (
            f"{SPASM}causes/",
            "reader@example.com",
            Feedback.State.NEW,
        )
        assert report.created is not None and len(report.client) == 64

    @pytest.mark.parametrize(
        "page", ["https://evil.example/", "//evil.example/", "/admin/", "/nope/"]
    )
    def test_only_the_sites_public_pages_are_reported(self, client, content, page):
        send(client, page=page)
        assert Feedback.objects.get().page == "/"

    @pytest.mark.parametrize(
        "page",
        ["/articles/nonexistent/", "/articles/nonexistent/source/", f"{SPASM}nonexistent/",
         "/articles/nonexistent/causes/", f"{SPASM}causes/"],
    )  # fmt: skip
    def test_pages_readers_cannot_open_are_reported_as_the_home_page(self, client, content, page):
        Section.objects.filter(article__slug="calf-muscle-spasm", slug="causes").update(
            status=Status.DRAFT
        )
        assert client.get(page).status_code == 404
        response = send(client, page=page)
        assert Feedback.objects.get().page == "/"
        thanks = client.get(response["Location"])
        assertContains(thanks, '<a href="/">Back to the page</a>', html=True)

    def test_length_limit_and_empty_message(self, client, content):
        response = send(client, message="x" * (MAX_MESSAGE_LENGTH + 1))
        assertContains(response, f"Please keep it to {MAX_MESSAGE_LENGTH} characters")
        assertContains(send(client, message="   "), "This field is required")
        assertContains(send(client, email="not an address"), "Enter a valid email address")
        assert not Feedback.objects.exists()

    def test_line_breaks_count_as_one_character_as_in_the_browser(self, client, content):
        # The browser's maxlength counts each line break once but sends it as CRLF.
        lines = ["x" * 99] * 20
        assert len("\n".join(lines)) < MAX_MESSAGE_LENGTH < len("\r\n".join(lines))
        assert send(client, message="\r\n".join(lines)).status_code == 302
        assert Feedback.objects.get().message == "\n".join(lines)
        too_long = "\r\n".join(["x" * 100] * 20)
        assertContains(send(client, message=too_long), "this is 2019.")

    def test_honeypot_is_thanked_and_dropped(self, client, content):
        response = send(client, website="http://spam.example/")
        assert response.status_code == 302
        assert not Feedback.objects.exists()

    def test_rate_limited_per_client(self, client, content):
        for _ in range(MAX_REPORTS_PER_HOUR):
            assert send(client).status_code == 302
        response = send(client)
        assert response.status_code == 429
        assertContains(response, "several reports in the last hour", status_code=429)
        assert Feedback.objects.count() == MAX_REPORTS_PER_HOUR
        other = Client(REMOTE_ADDR="192.0.2.7")
        assert send(other).status_code == 302

    def test_csrf_is_required(self, content):
        client = Client(enforce_csrf_checks=True)
        assert send(client).status_code == 403
        assert not Feedback.objects.exists()

    def test_a_failed_csrf_check_gets_the_sites_page_in_plain_words(self, content):
        # As for a reader whose browser blocks cookies, or who sends an old page's form.
        response = send(Client(enforce_csrf_checks=True))
        assertContains(response, "This form has expired", status_code=403)
        assertContains(response, "Nothing was sent.", status_code=403)
        assertContains(response, "reload the page and send the form again", status_code=403)
        assertContains(response, "Skip to main content", status_code=403)
        assertNotContains(response, "CSRF verification failed", status_code=403)
        assertNotContains(response, "<style", status_code=403)  # the CSP would block it

    def test_about_page_points_to_the_form_and_the_contact_address(self, client, content, settings):
        response = client.get("/about/")
        assertContains(response, f'<a href="{FORM}?page=/about/">this form</a>', html=True)
        assertContains(response, f"mailto:{settings.CONTACT_EMAIL}")


@pytest.mark.django_db
class TestEditorsList:
    def test_reports_listed_escaped_with_status_and_filters(self, editor_client, content):
        Feedback.objects.create(
            page="/causes/", message="<script>alert(1)</script> wrong", client="x"
        )
        report = Feedback.objects.get()
        listing = editor_client.get(reverse("admin:articles_feedback_changelist"))
        assertContains(listing, "&lt;script&gt;alert(1)&lt;/script&gt; wrong")
        assertNotContains(listing, "<script>alert(1)")
        for choice in ("New", "In progress", "Done"):
            assertContains(listing, choice)
        assertContains(listing, "?status__exact=new")
        assertContains(listing, "?page=%2Fcauses%2F")
        change = editor_client.get(reverse("admin:articles_feedback_change", args=[report.pk]))
        assertContains(change, "&lt;script&gt;alert(1)&lt;/script&gt; wrong")
        assertNotContains(change, "<script>alert(1)")
        response = editor_client.post(
            reverse("admin:articles_feedback_change", args=[report.pk]), {"status": "done"}
        )
        assert response.status_code == 302
        report.refresh_from_db()
        assert report.status == Feedback.State.DONE
        assert report.message == "<script>alert(1)</script> wrong"

    def test_editors_group_may_read_and_update_reports(self, editors_group):
        codenames = set(editors_group.permissions.values_list("codename", flat=True))
        assert {"view_feedback", "change_feedback"} <= codenames
