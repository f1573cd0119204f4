"""What the reading pages show: drafts only in the editors' preview, editors' words as text,
and addresses that follow where the site is served."""

import re

import pytest
from django.test import Client
from django.urls import set_script_prefix
from pytest_django.asserts import assertContains, assertNotContains

from articles.models import Article, Kind, Section, Status

SPASM = "calf-muscle-spasm"


@pytest.fixture
def with_drafts(content):
    """The shipped content plus a draft section and a draft article, for the preview."""
    spasm = Article.objects.get(slug=SPASM)
    Section.objects.create(
        article=spasm, kind=Kind.RELIEF, heading="Draft section", slug="draft-section",
        body="Draft text.", position=99, status=Status.DRAFT,
    )  # fmt: skip
    Article.objects.create(
        title="Draft article", slug="draft-article", publisher="P", source_title="S",
        source_text="T.", status=Status.DRAFT,
    )  # fmt: skip
    return spasm


def test_drafts_are_shown_only_in_the_editors_preview(editor_client, with_drafts):
    client = Client()
    for url in (f"/articles/{SPASM}/", "/relief/", "/"):
        assertNotContains(client.get(url), "Draft section")
    assert client.get(f"/articles/{SPASM}/draft-section/").status_code == 404
    assert client.get("/articles/draft-article/").status_code == 404
    assertContains(editor_client.get(f"/preview/articles/{SPASM}/"), "Draft section")
    assertContains(editor_client.get(f"/preview/articles/{SPASM}/draft-section/"), "Draft text.")
    assertContains(editor_client.get("/preview/articles/draft-article/"), "Draft article")
    assert client.get(f"/preview/articles/{SPASM}/").status_code == 404


def test_an_edit_shows_on_the_next_page_view(client, content):
    """Nothing between the database and the page keeps old rows (the page cache is emptied
    by every save; here the update bypasses it, as a second process's save would)."""
    assertNotContains(client.get(f"/articles/{SPASM}/relief/"), "Renamed")
    Section.objects.filter(article__slug=SPASM, slug="relief").update(plain_heading="Renamed")
    from django.core.cache import cache

    cache.clear()
    assertContains(
        client.get(f"/articles/{SPASM}/relief/"), '<h1 id="section-heading">Renamed</h1>'
    )


HOSTILE = '<script>alert(1)</script>" onmouseover="alert(2)'


@pytest.mark.parametrize(
    "url",
    ["/", "/causes/", f"/articles/{SPASM}/", f"/articles/{SPASM}/causes/",
     f"/articles/{SPASM}/source/", "/about/"],
)  # fmt: skip
def test_what_editors_type_is_escaped_on_every_page(client, content, url):
    """Titles and headings are text: Django's templates escape them."""
    spasm = Article.objects.get(slug=SPASM)
    spasm.title = spasm.publisher = spasm.source_title = HOSTILE
    spasm.save()
    section = spasm.sections.get(slug="causes")
    section.heading = section.plain_heading = HOSTILE
    section.save()
    response = client.get(url)
    assert response.status_code == 200
    assertNotContains(response, "<script>alert(1)")
    assertNotContains(response, '" onmouseover="')
    assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")


@pytest.fixture
def script_prefix():
    """Serve under /night/ for a while, as WSGIHandler does for a request with SCRIPT_NAME."""

    def serve_under(prefix):
        set_script_prefix(prefix)

    yield serve_under
    set_script_prefix("/")


def page_links(client, url):
    html = client.get(url).content.decode()
    return [
        link for link in re.findall(r'href="(/[^"]*)"', html) if not link.startswith("/static/")
    ]


@pytest.mark.parametrize("url", ["/", "/relief/", f"/articles/{SPASM}/"])
def test_links_follow_the_script_prefix_and_none_is_stored(client, content, script_prefix, url):
    """Addresses are worked out for each request: a section saved while the site was served
    under a path prefix does not keep it, and under a prefix the pages' links have it.
    (Citation links, stored in the rendered text, are paths from the site's root.)"""
    script_prefix("/night/")
    section = Section.objects.get(article__slug=SPASM, slug="relief")
    section.plain_heading = "Saved under a prefix"
    section.save()
    script_prefix("/")
    links = page_links(client, url)
    assert links and not [link for link in links if link.startswith("/night/")]
    script_prefix("/night/")
    from django.core.cache import cache

    cache.clear()  # the page cache keys on the address it was asked for, not the prefix
    links = [link for link in page_links(client, url) if "/source/#" not in link]
    assert links and all(link.startswith("/night/") for link in links), links
