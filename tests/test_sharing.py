"""What a shared link shows (#11): every page's Open Graph and Twitter tags parsed, their
lengths and word boundaries, share texts editors set, and the article times."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from articles import markdown
from articles.models import Section
from tests.helpers.admin_forms import section_form

SPASM = "/articles/calf-muscle-spasm/"
SLEEP = "/articles/sleeping-foot-cramp/"


class MetaTags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "content" in attrs:
            self.tags.setdefault(attrs.get("property") or attrs.get("name"), attrs["content"])


def meta(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    parser = MetaTags()
    parser.feed(response.content.decode())
    return parser.tags


def every_page():
    sections = [s.get_absolute_url() for s in Section.objects.select_related("article")]
    articles = [SPASM, SLEEP, f"{SPASM}source/", f"{SLEEP}source/"]
    return ["/", "/relief/", "/causes/", "/prevention/", "/about/", *articles, *sections]


def ends_at_a_word(short, full):
    """`short` is `full`, or its first whole words followed by "…"."""
    full = " ".join(full.split())
    if short == full:
        return True
    kept = short.removesuffix("…")
    return short.endswith("…") and full.startswith(kept) and full[len(kept)] in " ,;:–—-("


@pytest.mark.django_db
class TestShareTags:
    def test_every_page_titles_and_descriptions_fit_and_end_at_a_word(self, client, content):
        for url in every_page():
            tags = meta(client, url)
            for name, limit in (("og:title", 70), ("og:description", 160)):
                assert 0 < len(tags[name]) <= limit, (url, name, tags[name])
                assert tags[name].rstrip("…") == tags[name].rstrip("…").strip(), (url, name)
            assert tags["twitter:title"] == tags["og:title"]
            assert tags["twitter:description"] == tags["og:description"]

    def test_the_home_pages_image_description_names_the_site_once(self, client, content):
        tags = meta(client, "/")
        assert tags["og:title"] == "Night Cramps"
        assert tags["og:image:alt"] == tags["twitter:image:alt"] == "Night Cramps"

    def test_sections_share_their_plain_english_heading_and_text(self, client, content):
        for section in Section.objects.select_related("article"):
            tags = meta(client, section.get_absolute_url())
            assert tags["og:title"] == section.plain_heading
            plain = " ".join(t for tag, t in markdown.text_blocks(section.plain_html))
            assert ends_at_a_word(tags["og:description"], plain), tags["og:description"]
            assert tags["description"] == tags["og:description"]

    def test_a_long_heading_is_cut_at_a_word(self, client, content):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        section.plain_heading = "How to stop a leg cramp " + "straight away " * 6
        section.save()
        title = meta(client, section.get_absolute_url())["og:title"]
        assert len(title) <= 70 and ends_at_a_word(title, section.plain_heading), title

    def test_editors_share_texts_are_used(self, editor_client, client, content):
        section = Section.objects.get(article__slug="sleeping-foot-cramp", slug="relief")
        url = reverse("admin:articles_section_change", args=[section.pk])
        data = section_form(
            section, share_title="Foot cramp at night? Three things to do", share_description=""
        )
        data["share_description"] = "Pull your toes up, massage the calf, and warm it."
        assert editor_client.post(url, data).status_code == 302
        editor_client.logout()
        tags = meta(client, section.get_absolute_url())
        assert tags["og:title"] == "Foot cramp at night? Three things to do"
        assert tags["og:description"] == "Pull your toes up, massage the calf, and warm it."

    def test_share_texts_have_limits_in_the_admin(self, editor_client, content):
        section = Section.objects.get(article__slug="sleeping-foot-cramp", slug="relief")
        url = reverse("admin:articles_section_change", args=[section.pk])
        response = editor_client.post(
            url, section_form(section, share_title="x" * 71, share_description="y" * 161)
        )
        assert response.status_code == 200
        assert "at most 70 characters" in response.content.decode()
        assert "at most 160 characters" in response.content.decode()


@pytest.mark.django_db
class TestArticleTimes:
    def test_articles_and_sections_have_published_and_modified_times(self, client, content):
        section = Section.objects.select_related("article").first()
        for url, obj in ((section.get_absolute_url(), section), (SPASM, section.article)):
            tags = meta(client, url)
            assert tags["og:type"] == "article"
            assert tags["article:published_time"] == obj.created.isoformat()
            assert tags["article:modified_time"] == obj.text_changed.isoformat()

    def test_other_pages_have_none(self, client, content):
        assert "article:published_time" not in meta(client, "/causes/")


def test_shorten_keeps_whole_words():
    assert markdown.shorten("one two three", 20) == "one two three"
    assert markdown.shorten("one two three", 10) == "one two…"
    assert markdown.shorten("one two, three", 9) == "one two…"
    assert markdown.shorten("abcdefghijkl", 5) == "abcd…"
