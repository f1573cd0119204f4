"""Readers can trust the site and find it: attribution, currency, help callouts, sharing
previews, structured data, sitemap, robots.txt, the feed and search."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from articles.models import Article, Section, Status

SPASM = "/articles/calf-muscle-spasm/"
SLEEP = "/articles/sleeping-foot-cramp/"
CONTENT_PAGES = [
    "/causes/",
    "/relief/",
    "/prevention/",
    SPASM,
    SLEEP,
    f"{SPASM}causes/",
    f"{SLEEP}relief/",
    f"{SPASM}source/",
    f"{SLEEP}source/",
]
ALL_PAGES = ["/", "/about/", *CONTENT_PAGES]


def json_ld(response):
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S
    )
    assert len(blocks) == 1
    graph = json.loads(blocks[0])["@graph"]
    return {item["@type"]: item for item in graph}


def visible_breadcrumb(response):
    nav = re.search(
        r'<nav aria-label="Breadcrumb" class="breadcrumb">(.*?)</nav>',
        response.content.decode(),
        re.S,
    ).group(1)
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)


@pytest.mark.django_db
class TestTrust:
    @pytest.mark.parametrize("url", CONTENT_PAGES)
    def test_content_pages_credit_article_publisher_and_source(self, client, content, url):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        credited = [a for a in content if a.get_source_url() in html and a.publisher in html]
        assert credited, url

    @pytest.mark.parametrize("url", CONTENT_PAGES)
    def test_content_pages_say_general_information_and_when_to_get_help(self, client, content, url):
        response = client.get(url)
        assertContains(response, "General information, not a diagnosis.")
        assertContains(response, "see a doctor")

    @pytest.mark.parametrize("url", [SPASM, f"{SPASM}relief/", "/relief/"])
    def test_currency_is_shown(self, client, content, url):
        assertContains(client.get(url), "Last updated:")

    def test_source_page_explains_the_translation(self, client, content):
        response = client.get(f"{SLEEP}source/")
        assertContains(response, "machine translation from a Chinese-language web page")
        assertContains(response, "each with a plain-English version by our editors")

    def test_about_page(self, client, content, settings):
        response = client.get("/about/")
        for words in ("Who runs it", "no advertising", "How review works", "Who the editors are",
                      "Report a mistake", f"mailto:{settings.CONTACT_EMAIL}"):  # fmt: skip
            assertContains(response, words)
        assertContains(client.get("/"), 'href="/about/"')


@pytest.mark.django_db
class TestHelpCallouts:
    def test_shipped_callouts_quote_only_the_sources(self, content):
        callouts = {(s.article.slug, s.slug): s for s in Section.objects.exclude(help_level="")}
        assert set(callouts) == {
            ("calf-muscle-spasm", "causes"),
            ("sleeping-foot-cramp", "causes"),
            ("sleeping-foot-cramp", "prevention"),
        }
        for section in callouts.values():
            quotes = re.findall(r"“(.+?)”", section.help_note)
            assert quotes, section
            for quote in quotes:
                assert quote in section.article.source_text, quote

    def test_callout_is_a_labelled_box_not_just_colour(self, client, content):
        response = client.get(f"{SPASM}causes/")
        assertContains(
            response,
            '<aside class="callout callout-soon" aria-label="When to get help: See a doctor soon">',
        )
        assertContains(response, "You should go to the hospital to find out the cause")
        callout = re.search(r'<aside class="callout.*?</aside>', response.content.decode(), re.S)
        assert "See a doctor soon" in re.sub(r"<[^>]+>", "", callout.group(0))

    def test_urgent_level_reads_differently(self, client, content):
        section = Section.objects.get(article__slug="sleeping-foot-cramp", slug="causes")
        section.help_level = "urgent"
        section.save()
        response = client.get(f"{SLEEP}causes/")
        assertContains(response, 'aria-label="When to get help: Get urgent help"')
        assertContains(response, "deep vein thrombosis")


@pytest.mark.django_db
class TestSharing:
    @pytest.mark.parametrize("url", ALL_PAGES)
    def test_every_page_has_canonical_description_and_cards(self, client, content, url):
        html = client.get(url).content.decode()
        assert f'<link rel="canonical" href="http://testserver{url}">' in html
        description = re.search(r'<meta name="description" content="([^"]+)">', html).group(1)
        assert len(description) > 40
        for tag in ("og:title", "og:description", "og:url", "og:image", "og:image:width",
                    "og:image:height", "og:image:alt", "og:type"):  # fmt: skip
            assert f'<meta property="{tag}" content="' in html, (url, tag)
        for tag in ("twitter:card", "twitter:title", "twitter:description", "twitter:image",
                    "twitter:image:alt"):  # fmt: skip
            assert f'<meta name="{tag}" content="' in html, (url, tag)

    def test_descriptions_come_from_each_pages_own_content(self, client, content):
        descriptions = {
            url: re.search(
                r'<meta name="description" content="([^"]+)">', client.get(url).content.decode()
            ).group(1)
            for url in CONTENT_PAGES
        }
        assert len(set(descriptions.values())) == len(descriptions)
        assert descriptions[f"{SLEEP}relief/"].startswith("Pull your toes up. During a cramp")

    def test_share_image_has_the_size_the_tags_state(self, client, content):
        import io

        from PIL import Image

        html = client.get(f"{SPASM}relief/").content.decode()
        tag = dict(re.findall(r'<meta property="og:image(?::(\w+))?" content="([^"]+)">', html))
        # The section's own image since #11 (tests/test_share_images.py).
        assert tag[""].startswith("http://testserver/media/share/")
        image_file = client.get(tag[""].removeprefix("http://testserver"))
        with Image.open(io.BytesIO(b"".join(image_file.streaming_content))) as image:
            assert image.size == (int(tag["width"]), int(tag["height"]))
            assert image.format.lower() == tag["type"].split("/")[1]
        assert tag["alt"].endswith("| Night Cramps")


@pytest.mark.django_db
class TestStructuredData:
    def test_section_page(self, client, content):
        article = Article.objects.get(slug="calf-muscle-spasm")
        article.last_reviewed = article.created.date()
        article.reviewed_by, article.reviewer_role = "Dr Ann Example", "general practitioner"
        article.save()
        article.sections.update(
            last_reviewed=article.last_reviewed,
            reviewed_by=article.reviewed_by,
            reviewer_role=article.reviewer_role,
        )
        response = client.get(f"{SPASM}relief/")
        data = json_ld(response)
        page = data["MedicalWebPage"]
        assert page["url"] == f"http://testserver{SPASM}relief/"
        assert page["about"]["@type"] == "MedicalCondition"
        assert page["about"]["name"] == "Nocturnal leg cramps"
        assert page["aspect"] == "Treatment"
        assert page["lastReviewed"] == article.last_reviewed.isoformat()
        assert page["reviewedBy"] == {
            "@type": "Person",
            "name": "Dr Ann Example",
            "jobTitle": "general practitioner",
        }
        assert page["publisher"] == {
            "@type": "Organization",
            "name": "Night Cramps",
            "url": "http://testserver/",
        }
        assert page["isBasedOn"]["name"] == "How to treat and recover calf muscle spasm? Thank you?"
        assert page["isBasedOn"]["publisher"]["name"] == "Plastic Surgery and Aesthetics Network"
        assert page["isBasedOn"]["url"] == f"http://testserver{SPASM}source/"

    @pytest.mark.parametrize(
        ("url", "aspect"),
        [
            (f"{SLEEP}causes/", "Causes"),
            (f"{SLEEP}prevention/", "Prevention"),
            ("/relief/", "Treatment"),
        ],
    )
    def test_aspects(self, client, content, url, aspect):
        assert json_ld(client.get(url))["MedicalWebPage"]["aspect"] == aspect

    @pytest.mark.parametrize("url", CONTENT_PAGES)
    def test_breadcrumb_list_matches_the_visible_breadcrumb(self, client, content, url):
        response = client.get(url)
        crumbs = json_ld(response)["BreadcrumbList"]["itemListElement"]
        visible = visible_breadcrumb(response)
        assert [(c["item"], c["name"]) for c in crumbs] == [
            (f"http://testserver{path}", name) for path, name in visible
        ]
        assert [c["position"] for c in crumbs] == list(range(1, len(crumbs) + 1))
        assert crumbs[-1]["item"] == f"http://testserver{url}"

    def test_topic_page_is_based_on_both_articles(self, client, content):
        page = json_ld(client.get("/causes/"))["MedicalWebPage"]
        assert {item["publisher"]["name"] for item in page["isBasedOn"]} == {
            "Plastic Surgery and Aesthetics Network",
            "Sihai network",
        }

    def test_markup_in_content_cannot_break_out_of_the_json(self, client, content):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        section.plain_heading = "Relief </script><script>alert(1)</script>"
        section.save()
        response = client.get(f"{SPASM}relief/")
        assert json_ld(response)["MedicalWebPage"]["name"].startswith("Relief </script>")
        assertNotContains(response, "<script>alert(1)")


@pytest.mark.django_db
class TestDiscovery:
    def test_sitemap_lists_every_public_page_with_lastmod(self, client, content):
        draft = Section.objects.get(article__slug="sleeping-foot-cramp", slug="relief")
        draft.status = Status.DRAFT
        draft.save()
        response = client.get("/sitemap.xml")
        assert response.status_code == 200
        ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
        root = ET.fromstring(response.content)
        entries = {
            url.find("s:loc", ns).text: url.find("s:lastmod", ns)
            for url in root.findall("s:url", ns)
        }
        sections = [f"{SPASM}{slug}/" for slug in ("causes", "relief", "prevention")]
        sections += [f"{SLEEP}{slug}/" for slug in ("causes", "prevention")]  # relief is a draft
        others = ["/", "/about/", "/causes/", "/relief/", "/prevention/", SPASM, SLEEP]
        others += [f"{SPASM}source/", f"{SLEEP}source/"]
        expected = {f"http://testserver{path}" for path in sections + others}
        assert set(entries) == expected
        assert all(lastmod is not None and lastmod.text for lastmod in entries.values())

    def test_a_topic_pages_lastmod_is_its_newest_published_section(self, client, content):
        long_ago = datetime(2020, 1, 2, tzinfo=UTC)
        Section.objects.filter(kind="relief").update(updated=long_ago)
        draft = Section.objects.get(article__slug="sleeping-foot-cramp", slug="relief")
        draft.status = Status.DRAFT
        draft.save()  # newer, but readers do not see it
        root = ET.fromstring(client.get("/sitemap.xml").content)
        ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
        lastmod = {
            url.find("s:loc", ns).text: url.find("s:lastmod", ns).text
            for url in root.findall("s:url", ns)
        }
        newest = Section.objects.published().latest("updated").updated
        assert lastmod["http://testserver/relief/"].startswith("2020-01-02")
        assert lastmod["http://testserver/"].startswith(newest.date().isoformat())

    def test_robots_txt_points_to_the_sitemap_and_keeps_out_the_admin(self, client, content):
        response = client.get("/robots.txt")
        assert response["Content-Type"].startswith("text/plain")
        lines = response.content.decode().splitlines()
        assert "Disallow: /admin/" in lines and "Disallow: /preview/" in lines
        assert "Sitemap: http://testserver/sitemap.xml" in lines

    def test_atom_feed_of_updates(self, client, content):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        section.body += "\n\nA fresh editor's note."
        section.save()
        response = client.get("/feed/")
        assert response["Content-Type"].startswith("application/atom+xml")
        ns = {"a": "http://www.w3.org/2005/Atom"}
        entries = ET.fromstring(response.content).findall("a:entry", ns)
        assert len(entries) == 6
        newest = entries[0]
        assert newest.find("a:link", ns).get("href") == f"http://testserver{SPASM}relief/"
        assert newest.find("a:title", ns).text.startswith("How to stop a leg cramp")
        assert newest.find("a:updated", ns).text

    @pytest.mark.parametrize("url", ["/feed/", "/sitemap.xml"])
    def test_feed_readers_and_crawlers_polling_get_304_until_something_changes(
        self, client, content, url
    ):
        # The first request is kept for everyone: nothing of its query string may be in it.
        first = client.get(url + "?utm_source=a-feed-reader")
        assert b"utm_source" not in first.content
        assert "s-maxage" in first["Cache-Control"]  # the front and CDNs may keep it
        assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
        # A copy from the cache says what the page said (the sitemap: not for the index).
        again = client.get(url)
        for header in ("Content-Type", "X-Robots-Tag", "Last-Modified"):
            assert again.get(header) == first.get(header), header
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        section.body += "\n\nA fresh editor's note."
        section.save()
        changed = client.get(url, headers={"If-None-Match": first["ETag"]})
        assert changed.status_code == 200
        assert changed["ETag"] != first["ETag"]

    def test_feed_summaries_are_text_even_when_it_looks_like_markup(self, client, content):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        section.body = "Write `<script>alert(1)</script>` & `<b>bold</b>` to see it."
        section.plain = ""  # the description comes from the plain-English text when there is one
        section.save()
        ns = {"a": "http://www.w3.org/2005/Atom"}
        newest = ET.fromstring(client.get("/feed/").content).findall("a:entry", ns)[0]
        summary = newest.find("a:summary", ns)
        assert summary.get("type") == "html"
        # What a feed reader parses as HTML: the words, not a script element.
        assert summary.text == (
            "Write &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt; to see it."
        )


@pytest.mark.django_db
class TestSearch:
    def search(self, client, query):
        response = client.get("/search/", {"q": query})
        assert response.status_code == 200
        return response

    def results(self, response):
        listing = re.search(r'<ol class="results">(.*?)</ol>', response.content.decode(), re.S)
        return re.findall(r'<li>\s*<a href="([^"]+)">', listing.group(1)) if listing else []

    def test_finds_sections_ranked_with_highlights_and_subheading_links(self, client, content):
        response = self.search(client, "thrombosis")
        # The subheading in the text as published, and the plain-English version (#11).
        assert sorted(self.results(response)) == [
            f"{SLEEP}causes/",
            f"{SLEEP}causes/#blood-flow-factors",
        ]
        assertContains(response, "deep vein <mark>thrombosis</mark>")
        assertContains(response, "2 results for “thrombosis”")

    def test_heading_matches_rank_first(self, client, content):
        response = self.search(client, "calcium")
        listing = re.search(r'<ol class="results">(.*?)</ol>', response.content.decode(), re.S)
        titles = re.findall(r'<li>\s*<a href="[^"]+">(.*?)</a>', listing.group(1), re.S)
        in_heading = ["<mark>" in title for title in titles]
        assert in_heading[0] and False in in_heading
        assert in_heading == sorted(in_heading, reverse=True), titles

    def test_word_forms_match(self, client, content):
        assert f"{SPASM}relief/" in self.results(self.search(client, "stretching"))

    def test_results_follow_editors_saves(self, client, content):
        assert self.results(self.search(client, "quinine")) == []
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        section.body += "\n\n### Editor's test {#editors-test}\n\nA word like quinine."
        section.save()
        assert self.results(self.search(client, "quinine")) == [f"{SPASM}relief/#editors-test"]
        section.status = Status.DRAFT
        section.save()
        assert self.results(self.search(client, "quinine")) == []

    @pytest.mark.parametrize(
        ("query", "says"),
        [
            ("", "Type a few words"),
            ("?!…%*()", "has no words to search for"),
            ("抽筋", "Nothing matches “抽筋”"),
            ("cramp " * 100, "only its first words were used"),
            # Search syntax is read as words: "near" is in the text, and any word may match.
            ('"unbalanced AND (OR NEAR', "best first"),
        ],
    )
    def test_odd_queries_get_a_clear_page(self, client, content, query, says):
        assertContains(self.search(client, query), says)

    def test_query_is_shown_back_escaped(self, client, content):
        response = self.search(client, "<script>alert(1)</script>")
        assertNotContains(response, "<script>alert(1)")
        assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")

    def test_control_characters_are_left_out_of_the_query(self, client, content):
        # HTML may not contain them: the page shows the query in its title, box and message.
        response = self.search(client, "xylo\x01phone\x7f\x9f")
        html = response.content.decode()
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", html)
        assertContains(response, "<title>Search: xylophone | Night Cramps</title>")
        assertContains(response, 'name="q" value="xylophone"')
        assertContains(response, "Nothing matches “xylophone”")
        assertContains(self.search(client, "\x00"), "Type a few words")
        assertContains(self.search(client, "calf\tcramp"), 'name="q" value="calf cramp"')

    @pytest.mark.parametrize("url", ALL_PAGES)
    def test_every_page_has_a_search_form_that_needs_no_script(self, client, content, url):
        assertContains(
            client.get(url),
            '<form role="search" aria-label="Site" action="/search/" method="get"'
            ' class="search-form">',
        )
