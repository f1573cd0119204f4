"""What an editor does in the admin, through the client on real URLs."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from articles.models import Article, Section
from tests.helpers.admin_forms import article_form, change_url, section_form


@pytest.mark.django_db
def test_editor_logs_in_with_a_password(client, editor):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "editor", "password": "a long editor password"},
    )
    assertRedirects(response, "/admin/")
    assertContains(client.get("/admin/"), "Sections")


@pytest.mark.django_db
@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/admin/", "/\\evil"])
def test_a_login_with_an_unsafe_next_lands_on_the_admin(client, editor, unsafe):
    response = client.post(
        "/admin/login/",
        {"username": "editor", "password": "a long editor password", "next": unsafe},
    )
    assertRedirects(response, "/admin/")


@pytest.mark.django_db
def test_an_editors_session_ends_after_12_hours_unused(client, editor):
    response = client.post(
        "/admin/login/", {"username": "editor", "password": "a long editor password"}
    )
    assert response.cookies["sessionid"]["max-age"] == 12 * 60 * 60
    # Each request starts the 12 hours again: the session is saved and the cookie sent anew.
    session = Session.objects.get()
    Session.objects.update(expire_date=session.expire_date - timedelta(hours=1))
    again = client.get("/admin/")
    assert again.cookies["sessionid"]["max-age"] == 12 * 60 * 60
    assert Session.objects.get().expire_date > session.expire_date - timedelta(minutes=1)


@pytest.mark.django_db
def test_editing_a_section_shows_on_every_page_that_shows_it(editor_client, client, content):
    section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
    body = section.body + "\n\n### An editor's step {#editors-step}\n\nStretch *gently*."
    response = editor_client.post(change_url(section), section_form(section, body=body))
    assertRedirects(response, "/admin/articles/section/")
    for url in ("/articles/calf-muscle-spasm/relief/", "/articles/calf-muscle-spasm/", "/relief/"):
        page = client.get(url)
        assertContains(page, "Stretch <em>gently</em>.")
        assertContains(page, 'id="editors-step"')


@pytest.mark.django_db
class TestRenames:
    def test_renamed_section_answers_301_from_its_old_address(self, editor_client, client, content):
        section = Section.objects.get(article__slug="sleeping-foot-cramp", slug="relief")
        editor_client.post(change_url(section), section_form(section, slug="stop-a-cramp"))
        response = client.get("/articles/sleeping-foot-cramp/relief/")
        assert response.status_code == 301
        assert response["Location"] == "/articles/sleeping-foot-cramp/stop-a-cramp/"
        # Browsers check again each time, so renaming back cannot leave them in a loop.
        assert response["Cache-Control"] == "no-cache"
        assert client.get(response["Location"]).status_code == 200

    def test_a_deleted_page_s_old_addresses_answer_404_not_a_301_to_a_404(
        self, editor_client, client, content
    ):
        section = Section.objects.get(article__slug="sleeping-foot-cramp", slug="relief")
        editor_client.post(change_url(section), section_form(section, slug="stop-a-cramp"))
        article = Article.objects.get(slug="calf-muscle-spasm")
        editor_client.post(change_url(article), article_form(article, slug="calf-spasm"))
        for page in (section, article):
            delete = reverse(f"admin:articles_{page._meta.model_name}_delete", args=[page.pk])
            assert editor_client.post(delete, {"post": "yes"}).status_code == 302
        for old in (
            "/articles/sleeping-foot-cramp/relief/",
            "/articles/calf-muscle-spasm/",
            "/articles/calf-muscle-spasm/causes/",
        ):
            assertContains(client.get(old), "Page not found", status_code=404)

    def test_renamed_article_keeps_every_old_address(self, editor_client, client, content):
        article = Article.objects.get(slug="calf-muscle-spasm")
        response = editor_client.post(change_url(article), article_form(article, slug="calf-spasm"))
        assertRedirects(response, "/admin/articles/article/")
        for old, new in [
            ("/articles/calf-muscle-spasm/", "/articles/calf-spasm/"),
            ("/articles/calf-muscle-spasm/source/", "/articles/calf-spasm/source/"),
            ("/articles/calf-muscle-spasm/causes/", "/articles/calf-spasm/causes/"),
            ("/articles/calf-muscle-spasm/prevention/", "/articles/calf-spasm/prevention/"),
        ]:
            response = client.get(old)
            assert (response.status_code, response["Location"]) == (301, new)
            assert client.get(new).status_code == 200

    def test_pages_link_to_sections_at_their_new_addresses(self, editor_client, client, content):
        """Sections store their address: renaming the article or the section updates it."""
        article = Article.objects.get(slug="calf-muscle-spasm")
        editor_client.post(change_url(article), article_form(article, slug="calf-spasm"))
        section = Section.objects.get(article=article, slug="relief")
        editor_client.post(change_url(section), section_form(section, slug="stop-a-cramp"))
        for url in (
            "/articles/calf-spasm/",
            "/relief/",
            "/causes/",
            "/articles/calf-spasm/causes/",
        ):
            page = client.get(url)
            assertNotContains(page, 'href="/articles/calf-muscle-spasm/')
            assertNotContains(page, 'href="/articles/calf-spasm/relief/"')
        for url in ("/articles/calf-spasm/", "/relief/", "/articles/calf-spasm/causes/"):
            assertContains(client.get(url), 'href="/articles/calf-spasm/stop-a-cramp/"')
        assertContains(client.get("/causes/"), 'href="/articles/calf-spasm/causes/"')

    def test_renaming_twice_takes_one_hop_and_renaming_back_does_not_loop(self, client, content):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="causes")
        for slug in ("why", "reasons"):
            section.slug = slug
            section.save()
        for old in ("causes", "why"):
            response = client.get(f"/articles/calf-muscle-spasm/{old}/")
            assert response["Location"] == "/articles/calf-muscle-spasm/reasons/"
        section.slug = "causes"
        section.save()
        assert client.get("/articles/calf-muscle-spasm/causes/").status_code == 200
        response = client.get("/articles/calf-muscle-spasm/reasons/")
        assert response["Location"] == "/articles/calf-muscle-spasm/causes/"

    def test_subheading_anchor_survives_rewording(self, editor_client, client, content):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="causes")
        body = section.body.replace("### 1. Hypocalcemia", "### 1. Low blood calcium")
        editor_client.post(change_url(section), section_form(section, body=body))
        page = client.get("/articles/calf-muscle-spasm/causes/")
        assertContains(page, '<h2 id="hypocalcemia">1. Low blood calcium</h2>', html=True)


@pytest.mark.django_db
class TestInvalidForms:
    def test_duplicate_slug_is_explained_and_the_typed_text_kept(self, editor_client, content):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        typed = section.body + "\n\nWords the editor must not lose."
        response = editor_client.post(
            change_url(section), section_form(section, slug="causes", body=typed)
        )
        assert response.status_code == 200
        assertContains(response, "This article already has a section with this slug.")
        assertContains(response, "Words the editor must not lose.")
        section.refresh_from_db()
        assert "must not lose" not in section.body

    def test_clashing_subheading_anchor_is_refused(self, editor_client, content):
        section = Section.objects.get(article__slug="sleeping-foot-cramp", slug="causes")
        typed = section.body + "\n\n### Cold again {#cold}\n\nText."
        response = editor_client.post(change_url(section), section_form(section, body=typed))
        assert response.status_code == 200
        assertContains(response, "#cold")
        assertContains(response, "Cold again {#cold}")

    def test_reserved_slug_is_refused(self, editor_client, content):
        section = Section.objects.get(article__slug="sleeping-foot-cramp", slug="causes")
        response = editor_client.post(change_url(section), section_form(section, slug="source"))
        assertContains(response, "is the address of another page")

    @pytest.mark.parametrize("slug", ["main", "contents", "share-status"])
    def test_a_slug_the_page_uses_as_an_id_is_refused(self, editor_client, content, slug):
        section = Section.objects.get(article__slug="sleeping-foot-cramp", slug="causes")
        response = editor_client.post(change_url(section), section_form(section, slug=slug))
        assertContains(response, "is used by the page itself")
        assert Section.objects.get(pk=section.pk).slug == "causes"

    @pytest.mark.parametrize(
        "heading", ["## Main {#main}", "## Contents {#contents}", "## Share {#share-status}"]
    )
    def test_an_intro_anchor_the_page_uses_is_refused(self, editor_client, content, heading):
        article = Article.objects.get(slug="sleeping-foot-cramp")
        intro = f"{article.intro}\n\n{heading}\n\nMore."
        response = editor_client.post(change_url(article), article_form(article, intro=intro))
        assert response.status_code == 200
        assertContains(response, "used by the page itself")
        assert Article.objects.get(pk=article.pk).intro == article.intro


@pytest.mark.django_db
class TestAdminPages:
    def test_section_list_has_columns_search_and_kind_filter(self, editor_client, content):
        response = editor_client.get("/admin/articles/section/?kind__exact=relief")
        assertContains(response, "Three measures to relieve leg cramps and night pain")
        assertNotContains(response, "Six symptoms can cause leg cramps at night.")
        response = editor_client.get("/admin/articles/section/?q=hypocalcemia")
        assertContains(response, "Six symptoms can cause leg cramps at night.")
        assertContains(response, "1 result")

    def test_section_editor_has_live_preview_help_and_view_on_site(self, editor_client, content):
        section = Section.objects.get(article__slug="sleeping-foot-cramp", slug="causes")
        response = editor_client.get(change_url(section))
        assertContains(response, "markdownx-editor")
        assertContains(response, 'class="markdownx-preview"')
        assertContains(response, "markdownx/js/markdownx")
        assertContains(response, "keeps links to the subheading working")
        assertContains(
            response,
            '<a href="/articles/sleeping-foot-cramp/causes/" class="viewsitelink">View on site</a>',
            html=True,
        )

    def test_article_shows_its_sections_and_keeps_source_read_only(self, editor_client, content):
        article = Article.objects.get(slug="sleeping-foot-cramp")
        response = editor_client.get(change_url(article))
        assertContains(response, "What reason is sleeping foot cramp?")
        assertContains(response, "/admin/articles/section/")
        assertNotContains(response, 'name="source_text"')
        assertContains(response, "Sihai network")


@pytest.mark.django_db
class TestEditorEndpoints:
    def test_preview_is_for_staff_only(self, client, content):
        assert client.post("/markdownx/markdownify/", {"content": "**x**"}).status_code == 403
        user = get_user_model().objects.create_user("reader", password="a long password")
        client.force_login(user)
        assert client.post("/markdownx/markdownify/", {"content": "**x**"}).status_code == 403

    def test_preview_shows_what_readers_will_see(self, editor_client, content):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="causes")
        response = editor_client.post("/markdownx/markdownify/", {"content": section.body})
        assert response.status_code == 200
        assert response.content.decode() == section.body_html
        response = editor_client.post(
            "/markdownx/markdownify/", {"content": "<script>x()</script>"}
        )
        assert "<script" not in response.content.decode()

    def test_upload_is_refused_to_anonymous_and_writes_nothing(self, client, settings, content):
        from io import BytesIO

        from PIL import Image

        image = BytesIO()
        Image.new("RGB", (2, 2)).save(image, "PNG")
        image.seek(0)
        image.name = "calf.png"
        response = client.post("/markdownx/upload/", {"image": image})
        assert response.status_code == 403
        assert not settings.MEDIA_ROOT.exists() or not any(settings.MEDIA_ROOT.rglob("*.*"))
