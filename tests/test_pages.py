"""The public reading pages, through real URLs, with the shipped content."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test import override_settings
from pytest_django.asserts import assertContains, assertNotContains

from articles.models import Kind, Status

SPASM = "/articles/calf-muscle-spasm/"
SLEEP = "/articles/sleeping-foot-cramp/"


def headings(response, level):
    html = response.content.decode()
    return [
        re.sub(r"<[^>]+>", "", h).strip()
        for h in re.findall(rf"<h{level}\b[^>]*>(.*?)</h{level}>", html, re.S)
    ]


@pytest.mark.django_db
class TestHome:
    def test_lists_topics_and_articles(self, client, content):
        response = client.get("/")
        assert response.status_code == 200
        assert headings(response, 1) == ["Woken by a calf cramp?"]
        for kind in Kind:
            assertContains(response, f'href="/{kind.value}/"')
            assertContains(response, kind.title)
        for article in content:
            assertContains(response, f'href="{article.get_absolute_url()}"')
            assertContains(response, article.title)

    def test_says_what_night_cramps_are_in_the_sources_words(self, client, content):
        response = client.get("/")
        assertContains(response, "What night cramps are")
        assertContains(
            response,
            "Everyone has experienced leg cramps at night, that is, muscle cramps, which are "
            "spontaneous tense contractions of muscles.",
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("causes", ["Why leg cramps happen at night: six reasons", "Why foot cramps happen in your sleep: five reasons"]),
        ("relief", ["During a cramp", "How to stop a leg cramp: three steps", "How to stop a foot cramp"]),
        ("prevention", ["How to keep leg cramps away at night", "How to keep foot cramps away"]),
    ],
)  # fmt: skip
def test_topic_page_shows_that_kind_from_both_articles_with_credit(client, content, kind, expected):
    response = client.get(f"/{kind}/")
    assert response.status_code == 200
    assert headings(response, 1) == [Kind(kind).title]
    assert headings(response, 2) == expected
    for article in content:
        assertContains(response, f"({article.publisher}), machine-translated from Chinese.")
        assertContains(response, f'href="{article.get_source_url()}"')


@pytest.mark.django_db
def test_relief_page_has_the_steps(client, content):
    response = client.get("/relief/")
    assertContains(response, "immediately reach out and grab the toe on the cramp side")
    assertContains(response, '<h3 id="massage-the-pain">2. Massage the pain</h3>', html=True)


@pytest.mark.django_db
class TestArticlePage:
    def test_sections_in_order_with_contents_list(self, client, content):
        response = client.get(SPASM)
        assert response.status_code == 200
        assert headings(response, 1) == ["How to treat and recover calf muscle spasm?"]
        html = response.content.decode()
        contents = re.search(r'<nav id="contents".*?</nav>', html, re.S).group(0)
        assert re.findall(r'href="#([^"]+)"', contents) == ["causes", "relief", "prevention"]
        for slug in ("causes", "relief", "prevention"):
            assertContains(response, f'<section class="section" aria-labelledby="{slug}">')
            assertContains(response, f'<h2 id="{slug}">', count=1)
        assert html.index('id="causes"') < html.index('id="relief"') < html.index('id="prevention"')

    def test_intro_and_subheading_anchors(self, client, content):
        response = client.get(SLEEP)
        assertContains(response, "Many people will be awakened by the sudden foot cramp")
        assertContains(
            response, '<h3 id="calcium-deficiency">3. Calcium deficiency</h3>', html=True
        )
        assertContains(response, 'href="#calcium-deficiency"')

    def test_every_heading_has_a_link_control(self, client, content):
        response = client.get(SPASM)
        html = response.content.decode()
        for slug in ("causes", "relief", "prevention"):
            assert f'<a class="permalink" href="{SPASM}{slug}/">' in html
        for anchor in ("hypocalcemia", "cold", "no-warm-up", "calcium-rich-food"):
            assert f'<a class="permalink" href="#{anchor}"' in html

    def test_editorial_additions_are_marked(self, client, content):
        response = client.get(SPASM)
        # Each section's plain-English version and its heading are marked as ours.
        assertContains(response, "In plain English by our editors", count=3)
        assertContains(response, '<p class="admonition-title">Editor\'s note</p>', count=12)

    def test_headings_are_in_order(self, client, content):
        for url in ("/", "/causes/", SPASM, f"{SPASM}causes/", f"{SPASM}source/"):
            html = client.get(url).content.decode()
            levels = [int(level) for level in re.findall(r"<h([1-6])\b", html)]
            assert levels[0] == 1 and levels.count(1) == 1, url
            assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), url


@pytest.mark.django_db
class TestSectionPage:
    def test_stands_alone_with_its_own_share_preview(self, client, content):
        response = client.get(f"{SPASM}relief/")
        assert response.status_code == 200
        title = "How to stop a leg cramp: three steps"
        assert headings(response, 1) == [title]
        url = f"http://testserver{SPASM}relief/"
        full_title = f"{title} – How to treat and recover calf muscle spasm?"
        assertContains(response, f"<title>{full_title} | Night Cramps</title>")
        assertContains(response, f'<link rel="canonical" href="{url}">')
        assertContains(response, f'<meta property="og:url" content="{url}">')
        # A shared link carries the section's share title, at most 70 characters (#11).
        assertContains(response, f'<meta property="og:title" content="{title}">')
        assertContains(response, f'<meta name="twitter:title" content="{title}">')
        assertContains(response, '<meta name="twitter:card" content="summary_large_image">')
        # Its own share image, named by its title (#11, tests/test_share_images.py).
        assert re.search(
            r'<meta property="og:image" content="http://testserver/media/share/[0-9a-f]{32}\.png">',
            response.content.decode(),
        )
        description = (
            "If you get a leg cramp at night, the article gives three things to do. "
            "Stretch the calf."
        )
        assert re.search(
            rf'<meta name="description" content="{description}[^"]*…">', response.content.decode()
        )
        assert re.search(
            rf'<meta property="og:description" content="{description}', response.content.decode()
        )

    def test_links_back_to_its_place_in_the_article(self, client, content):
        response = client.get(f"{SLEEP}prevention/")
        assertContains(
            response, f'<a href="{SLEEP}#prevention">Read the whole article</a>', html=True
        )
        assertContains(
            response, '<h2 id="dietary-calcium">3. Dietary calcium supplement</h2>', html=True
        )
        assertContains(response, f'href="{SLEEP}causes/"')
        assertContains(response, "In plain English by our editors")

    def test_credits_article_and_publisher(self, client, content):
        response = client.get(f"{SLEEP}causes/")
        assertContains(response, f'from <a href="{SLEEP}">an article by Sihai network</a>')
        assertContains(response, f'href="{SLEEP}source/"')


@pytest.mark.django_db
def test_source_page_is_word_for_word_with_provenance(client, content):
    article = content.get(slug="calf-muscle-spasm")
    response = client.get(f"{SPASM}source/")
    assert response.status_code == 200
    assertContains(response, "machine translation from a Chinese-language web page")
    assertContains(response, "kept word for word as published")
    assertContains(response, "Plastic Surgery and Aesthetics Network")
    assertContains(response, "Plastic surgery and medical aesthetics")
    html = response.content.decode()
    shown = re.search(r'<div id="source-text" class="source-text">(.*?)</div>', html, re.S)
    # Each sentence is in an element of its own; the text around the tags is the source's.
    text = unescape(re.sub(r"<[^>]+>", "", shown.group(1)))
    assert text.split("\n") == [line for line in article.source_text.splitlines() if line.strip()]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/articles/nope/",
        f"{SPASM}nope/",
        "/articles/nope/causes/",
        "/nope/",
        "/causes/x/",
        "/articles/nope/source/",
    ],
)
def test_unknown_addresses_get_the_sites_404_page(client, content, url):
    response = client.get(url)
    assert response.status_code == 404
    assertContains(response, "Page not found", status_code=404)
    assertContains(response, 'href="/"', status_code=404)
    assertContains(response, "Skip to main content", status_code=404)


@pytest.mark.django_db
def test_a_bad_request_gets_the_sites_400_page(client):
    # A Host header the site does not serve is a bad request (SuspiciousOperation).
    response = client.get("/relief/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assertContains(response, "Bad request", status_code=400)
    assertContains(response, 'href="/"', status_code=400)
    assertContains(response, "Skip to main content", status_code=400)


def boom(request):
    raise RuntimeError("a fault")


urlpatterns = [__import__("django.urls").urls.path("boom/", boom)]


@override_settings(ROOT_URLCONF=__name__)
def test_server_error_shows_the_sites_500_page(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assertContains(response, "Something went wrong", status_code=500)
    assertNotContains(response, "RuntimeError", status_code=500)


SEARCH = object()


def search_queries():
    """The content version (read for every reader's GET), then the search: one query on
    PostgreSQL (the ORM's); on SQLite the FTS5 match, then the entries. Two more since #11,
    whatever the content's size: the editors' synonyms, which change what is searched for,
    and the sections they pinned for the query. (The index's vocabulary, for "Did you mean",
    is read only when a word matched nothing.)"""
    return 3 + (1 if connection.vendor == "postgresql" else 2)


@pytest.mark.django_db
class TestQueryCounts:
    """A page costs the same few queries however many sections there are.

    Every count includes the content version that the page cache reads for a reader's GET
    (articles/cache.py).
    """

    @pytest.fixture(autouse=True)
    def _site_looked_up(self, db):
        # The sitemap looks up the Site once per process (Django caches it): count the
        # steady state, whichever test happened to run first.
        from django.contrib.sites.models import Site

        Site.objects.get_current()

    @pytest.mark.parametrize(
        ("url", "queries"),
        # Home and /relief/ read their page texts too (one query); the About page its text.
        [("/", 3), ("/causes/", 2), ("/relief/", 3), (SPASM, 2), (f"{SPASM}causes/", 3), (f"{SPASM}source/", 2),
         ("/about/", 3), ("/search/?q=calcium", SEARCH), ("/feed/", 2), ("/sitemap.xml", 5), ("/robots.txt", 1)],
    )  # fmt: skip
    def test_shipped_pages(self, client, content, django_assert_num_queries, url, queries):
        with django_assert_num_queries(search_queries() if queries is SEARCH else queries):
            assert client.get(url).status_code == 200

    def test_does_not_grow_with_sections(
        self, client, article, make_section, django_assert_num_queries
    ):
        pages = {
            "/": 3,
            "/causes/": 2,
            "/articles/test-article/": 2,
            "/articles/test-article/section-1/": 3,
            "/articles/test-article/source/": 2,
            "/search/?q=text": search_queries(),
            "/feed/": 2,
            "/sitemap.xml": 5,
        }
        for total in (1, 6, 600):
            while article.sections.count() < total:
                make_section()
            for url, queries in pages.items():
                with django_assert_num_queries(queries):
                    assert client.get(url).status_code == 200, url

    def test_article_with_no_section_to_show(
        self, client, article, make_section, django_assert_num_queries
    ):
        """An article whose sections are all drafts still has its page, without them."""
        make_section(status=Status.DRAFT)
        with django_assert_num_queries(3):
            response = client.get("/articles/test-article/")
        assertContains(response, "<h1>Test article</h1>", html=True)
        assertNotContains(response, "Heading 1")
