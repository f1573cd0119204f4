"""Plain English traced to the source: every sentence cites the source sentences it restates,
each citation lands on those exact words, and the source wording stays on the same page."""

import json
import re
import shutil
from datetime import date
from html import unescape

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from articles import sources
from articles.loader import CONTENT_DIR, load_content
from articles.markdown import cited_ids, text_blocks
from articles.models import Article, PageText, Section
from tests.helpers.admin_forms import article_form, change_url, page_text_form, section_form

SPASM = "/articles/calf-muscle-spasm/"
SLEEP = "/articles/sleeping-foot-cramp/"
CITATION = re.compile(r"\[@[^\]]+\]")
# What ends a sentence in a plain-English text: . ? or ! and then a citation or the end.
SENTENCE = re.compile(r"[^.?!]+[.?!]\S*(?:\s*\[@[^\]]+\])?")


def plain_sentences(markdown_text):
    """The sentences of a plain-English text; editor's notes, headings and the bold label
    that opens a step ("**Cold.**") left out."""
    kept = []
    note_indent = None
    for line in markdown_text.splitlines():
        indent = len(line) - len(line.lstrip())
        if note_indent is not None:
            if not line.strip() or indent > note_indent:
                continue
            note_indent = None
        if line.lstrip().startswith("!!!"):
            note_indent = indent
        elif line.strip() and not line.lstrip().startswith("#"):
            step = re.sub(r"^\d+\.\s+", "", line.strip())
            kept.append(re.sub(r"^\*\*[^*]*[.?!]\*\*\s*", "", step))
    return [s.strip() for s in SENTENCE.findall(" ".join(kept)) if re.search(r"[a-z]", s)]


def shipped_plain_texts():
    """(article slug, where, plain-English Markdown) for everything the content files ship."""
    texts = []
    for article in Article.objects.all():
        texts.append((article.slug, "introduction", article.plain_intro))
        for section in article.sections.all():
            texts.append((article.slug, section.slug, section.plain))
    return texts


def source_page_sentences(client, slug):
    """{id: text} of every sentence on an article's source page."""
    html = client.get(f"/articles/{slug}/source/").content.decode()
    return {
        ident: unescape(text)
        for ident, text in re.findall(r'<span class="sentence" id="([^"]+)">([^<]*)</span>', html)
    }


@pytest.mark.django_db
class TestShippedPlainEnglish:
    def test_every_section_and_introduction_has_a_plain_english_version(self, content):
        for slug, where, text in shipped_plain_texts():
            assert text.strip(), f"{slug} {where} has no plain-English version"
        assert Section.objects.count() == 6

    def test_every_plain_sentence_cites_a_source_sentence_of_its_own_article(self, content):
        for slug, where, text in shipped_plain_texts():
            article = Article.objects.get(slug=slug)
            own_ids = sources.sentence_ids(article.source_text)
            sentences = plain_sentences(text)
            assert sentences, where
            for sentence in sentences:
                cited = cited_ids(sentence)
                assert cited, f"{slug} {where}: {sentence!r} cites nothing"
                assert set(cited) <= own_ids, f"{slug} {where}: {sentence!r}"

    def test_every_cited_id_lands_on_words_that_are_in_the_source(self, client, content):
        for slug, where, text in shipped_plain_texts():
            on_page = source_page_sentences(client, slug)
            seed = (CONTENT_DIR / slug / "source.txt").read_text(encoding="utf-8")
            for ident in cited_ids(text):
                assert ident in on_page, f"{slug} {where}: #{ident} is not on the source page"
                assert on_page[ident] in seed

    def test_the_during_a_cramp_box_cites_both_relief_sections_sources(self, client, content):
        box = PageText.objects.get(key=PageText.Key.DURING_A_CRAMP)
        steps = re.findall(r"^\d+\. .+$", box.body, re.M)
        assert len(steps) >= 3
        relief_ids = {}
        for section in Section.objects.filter(kind="relief"):
            on_page = source_page_sentences(client, section.article.slug)
            relief_ids[section.article.slug] = set(on_page)
        cited_articles = set()
        for step in steps:
            cited = cited_ids(step)
            assert cited, step
            for ident in cited:
                found = [slug for slug, ids in relief_ids.items() if ident in ids]
                assert found, f"{ident} is in no article"
                cited_articles.update(found)
        assert cited_articles == set(relief_ids)

    def test_every_source_sentence_appears_exactly_once_in_the_source_wording(self, content):
        for article in Article.objects.all():
            found = sources.sentences(article.source_text)
            assert len({sentence.id for sentence in found}) == len(found)
            for line, sentences in zip(
                [line for line in article.source_text.splitlines() if line.strip()],
                sources.paragraphs(article.source_text),
                strict=True,
            ):
                # The sentences of a line, with the space between them, are the line itself.
                assert "".join(s.text + space for s, space in sentences) == line.rstrip()
                for sentence, _ in sentences:
                    assert article.source_text.count(sentence.text) >= 1

    def test_notes_come_before_or_beside_what_they_explain_never_after(self, content):
        last_note = re.compile(r'<div class="admonition editorial">(?:(?!<div).)*</div>\s*$', re.S)
        for article in Article.objects.all():
            htmls = [article.intro_html] + [s.body_html for s in article.sections.all()]
            for html in htmls:
                assert not last_note.search(html), html[-300:]


class TestSentenceIds:
    TEXT = "First line. It has two sentences.\n\nThen a third? Yes!\n1. A numbered item."

    def test_each_sentence_has_an_id_and_the_text_is_kept_word_for_word(self):
        found = sources.paragraphs(self.TEXT)
        assert [[s.text for s, _ in line] for line in found] == [
            ["First line.", "It has two sentences."],
            ["Then a third?", "Yes!"],
            ["1. A numbered item."],
        ]
        html = sources.to_html(self.TEXT)
        assert unescape(re.sub(r"<[^>]+>", "", html)) == "\n".join(
            line for line in self.TEXT.splitlines() if line
        )

    def test_an_id_does_not_change_when_other_text_changes(self):
        before = {s.text: s.id for s in sources.sentences(self.TEXT)}
        changed = "A new opening sentence. " + self.TEXT.replace("Yes!", "No, not at all!")
        after = {s.text: s.id for s in sources.sentences(changed)}
        for text in ("First line.", "It has two sentences.", "Then a third?"):
            assert after[text] == before[text]

    def test_the_same_sentence_twice_gets_two_ids(self):
        ids = [s.id for s in sources.sentences("Thank you? Thank you?")]
        assert len(set(ids)) == 2 and ids[1] == f"{ids[0]}-2"

    def test_sentence_ids_are_safe_anchors(self):
        for sentence in sources.sentences("<b>Bold</b> “quoted” 0/5-20 minutes. 1、 Heading?"):
            assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", sentence.id)


@pytest.mark.django_db
class TestPages:
    @pytest.mark.parametrize("url", [f"{SPASM}relief/", SPASM, "/relief/"])
    def test_plain_english_comes_first_and_the_wording_as_published_below(
        self, client, content, url
    ):
        html = client.get(url).content.decode()
        plain = html.index("Stretch the calf.")
        published = html.index("As published: machine translation from Chinese", plain)
        source_words = html.index("immediately reach out and grab the toe on the cramp side")
        assert plain < published < source_words

    def test_citations_link_to_the_exact_sentence_on_the_source_page(self, client, content):
        html = client.get(f"{SPASM}relief/").content.decode()
        links = re.findall(r'<span class="cite">\((?:sources: )?(.*?)\)</span>', html)
        hrefs = [h for group in links for h in re.findall(r'href="([^"]+)"', group)]
        assert hrefs, "no citation links"
        on_page = source_page_sentences(client, "calf-muscle-spasm")
        for href in hrefs:
            path, ident = href.split("#")
            assert path == f"{SPASM}source/"
            assert ident in on_page
        assert f"{SPASM}source/#tilt-your-toes-up-as-67e8" in hrefs
        assert on_page["tilt-your-toes-up-as-67e8"].startswith("Tilt your toes up as far")

    @pytest.mark.parametrize(
        "url",
        ["/", "/relief/", "/causes/", "/prevention/", SPASM, SLEEP, f"{SPASM}causes/",
         f"{SLEEP}relief/", f"{SPASM}source/"],
    )  # fmt: skip
    def test_every_content_page_says_near_the_top_that_the_source_is_a_machine_translation(
        self, client, content, url
    ):
        html = client.get(url).content.decode()
        main = html[html.index("<main") :]
        label = re.search(r"machine[- ]translat", main)
        assert label, url
        # Before the text itself: the first block of content, or the source text.
        text = re.search(r'class="prose|id="source-text"', main)
        assert label.start() < text.start(), url

    def test_home_page_opens_with_the_during_a_cramp_box_and_lists_relief_first(
        self, client, content
    ):
        html = client.get("/").content.decode()
        main = html[html.index("<main") :]
        h2s = re.findall(r"<h2[^>]*>(.*?)</h2>", main)
        assert h2s[0] == "During a cramp"
        topics = re.search(r'<ul class="cards">(.*?)</ul>', main, re.S).group(1)
        assert re.findall(r'href="(/\w+/)"', topics) == ["/relief/", "/causes/", "/prevention/"]

    def test_relief_page_opens_with_the_box_and_other_topics_do_not_have_it(self, client, content):
        relief = client.get("/relief/").content.decode()
        assert relief.index('id="during-a-cramp"') < relief.index('class="section"')
        assertNotContains(client.get("/causes/"), 'id="during-a-cramp"')

    def test_an_editor_changes_the_box_in_the_admin(self, editor_client, content, client):
        box = PageText.objects.get(key=PageText.Key.DURING_A_CRAMP)
        body = box.body.replace("Pull your toes up", "Draw your toes up")
        response = editor_client.post(change_url(box), page_text_form(box, body=body))
        assertRedirects(response, "/admin/articles/pagetext/")
        assertContains(client.get("/"), "Draw your toes up")
        assertContains(client.get("/relief/"), "Draw your toes up")


@pytest.mark.django_db
class TestEditingPlainEnglish:
    def test_a_valid_citation_is_saved_and_links_to_the_sentence(
        self, editor_client, content, client
    ):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        plain = "Use a hot towel if you need to. [@the-third-measure-if-necessary-2aa7]"
        response = editor_client.post(change_url(section), section_form(section, plain=plain))
        assertRedirects(response, "/admin/articles/section/")
        assertContains(
            client.get(f"{SPASM}relief/"),
            f'(<a href="{SPASM}source/#the-third-measure-if-necessary-2aa7" '
            'rel="noopener noreferrer">source</a>)',
        )

    def test_a_citation_of_a_sentence_that_does_not_exist_is_refused_and_the_text_kept(
        self, editor_client, content
    ):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        before = section.plain
        plain = "Pull your toes up, typed by the editor. [@no-such-sentence-0000]"
        response = editor_client.post(change_url(section), section_form(section, plain=plain))
        assert response.status_code == 200
        assertContains(response, "No sentence of this article&#x27;s source has the id")
        assertContains(response, "@no-such-sentence-0000")
        assertContains(response, "Pull your toes up, typed by the editor.")
        section.refresh_from_db()
        assert section.plain == before

    def test_another_articles_sentence_is_refused_in_a_section(self, editor_client, content):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        plain = "Massage the muscle. [@so-at-this-time-you-5b65]"  # sleeping-foot-cramp's
        response = editor_client.post(change_url(section), section_form(section, plain=plain))
        assertContains(response, "@so-at-this-time-you-5b65")
        assertContains(response, "No sentence of this article&#x27;s source")

    def test_a_paragraph_or_step_without_a_citation_is_refused_with_its_words(
        self, editor_client, content
    ):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        plain = (
            "A cited paragraph. [@if-leg-cramps-occur-at-8a86]\n\n"
            "1. A cited step. [@the-third-measure-if-necessary-2aa7]\n"
            "2. A step the editor forgot to cite.\n"
        )
        response = editor_client.post(change_url(section), section_form(section, plain=plain))
        assert response.status_code == 200
        assertContains(response, "These have none: “A step the editor forgot to cite.”")
        assertNotContains(response, "“A cited step.")
        assertContains(response, "2. A step the editor forgot to cite.")

    def test_editors_notes_need_no_citation(self, editor_client, content):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        plain = (
            "A cited paragraph. [@if-leg-cramps-occur-at-8a86]\n\n"
            '!!! editorial "Editor\'s note"\n    Our note about the translation.\n'
        )
        response = editor_client.post(change_url(section), section_form(section, plain=plain))
        assertRedirects(response, "/admin/articles/section/")

    def test_an_uncited_step_in_the_box_is_refused(self, editor_client, content):
        box = PageText.objects.get(key=PageText.Key.DURING_A_CRAMP)
        body = box.body + "\n5. Drink a glass of water.\n"
        response = editor_client.post(change_url(box), page_text_form(box, body=body))
        assertContains(response, "These have none: “Drink a glass of water.”")
        assert "Drink a glass" not in PageText.objects.get(pk=box.pk).body

    def test_the_form_lists_the_source_sentences_to_cite(self, editor_client, content):
        section = Section.objects.get(article__slug="sleeping-foot-cramp", slug="relief")
        response = editor_client.get(change_url(section))
        assertContains(response, "<code>[@we-often-see-people-who-6f17]</code>")
        assertContains(response, "We often see people who draw sutras pull their toes")

    def test_the_live_preview_renders_citations_and_flags_unknown_ones(self, editor_client):
        Article.objects.create(
            title="T", slug="t", publisher="P", source_title="T", source_text="One sentence."
        )
        ident = sources.sentences("One sentence.")[0].id
        response = editor_client.post(
            "/markdownx/markdownify/", {"content": f"Said once. [@{ident}] Again. [@nope-0000]"}
        )
        assert f'href="/articles/t/source/#{ident}"' in response.content.decode()
        assert "source sentence not found: nope-0000" in response.content.decode()

    def test_renaming_an_article_moves_its_citation_links(self, editor_client, content, client):
        article = Article.objects.get(slug="calf-muscle-spasm")
        response = editor_client.post(change_url(article), article_form(article, slug="calf"))
        assertRedirects(response, "/admin/articles/article/")
        html = client.get("/articles/calf/relief/").content.decode()
        assert 'href="/articles/calf/source/#tilt-your-toes-up-as-67e8"' in html
        assert "/articles/calf-muscle-spasm/source/#" not in html
        assert "/articles/calf/source/#" in client.get("/").content.decode()


@pytest.mark.django_db
class TestDates:
    def test_last_updated_is_the_content_files_date_not_the_day_it_was_loaded(
        self, client, tmp_path
    ):
        content_dir = tmp_path / "content"
        shutil.copytree(CONTENT_DIR, content_dir)
        for manifest in content_dir.glob("*/article.toml"):
            manifest.write_text(
                re.sub(r"(?m)^changed = .*$", "changed = 2026-01-15", manifest.read_text())
            )
        load_content(content_dir)
        assert timezone.localdate() != date(2026, 1, 15)
        for url in (SPASM, f"{SPASM}relief/"):
            response = client.get(url)
            assertContains(
                response, 'Last updated: <time datetime="2026-01-15">15 January 2026</time>.'
            )
            page = json_ld_page(response)
            assert page["dateModified"] == "2026-01-15"

    def test_an_editors_change_to_the_text_is_the_new_date_and_a_status_change_is_not(
        self, editor_client, content
    ):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        Section.objects.filter(pk=section.pk).update(text_changed=date(2026, 1, 15))
        section.refresh_from_db()
        editor_client.post(change_url(section), section_form(section, position=11))
        section.refresh_from_db()
        assert section.text_changed == date(2026, 1, 15)
        editor_client.post(change_url(section), section_form(section, plain_heading="Stop it"))
        section.refresh_from_db()
        assert section.text_changed == timezone.localdate()

    def test_time_elements_carry_valid_dates(self, client, content):
        for url in ("/relief/", SPASM, f"{SPASM}relief/", "/causes/"):
            html = client.get(url).content.decode()
            values = re.findall(r'<time datetime="([^"]+)"', html)
            assert values, url
            for value in values:
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), value


def json_ld_page(response):
    data = re.search(
        r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S
    )
    graph = json.loads(data.group(1))["@graph"]
    return next(item for item in graph if item["@type"] == "MedicalWebPage")


@pytest.mark.django_db
class TestReviews:
    def test_a_page_nobody_reviewed_says_so_and_claims_no_review(self, client, content):
        response = client.get(f"{SPASM}relief/")
        assertContains(response, "Not yet reviewed by a health professional.")
        page = json_ld_page(response)
        assert "lastReviewed" not in page and "reviewedBy" not in page

    def test_a_recorded_review_names_the_reviewer_and_their_role(
        self, editor_client, content, client, settings
    ):
        # Typed in by editors on a site that publishes without review; otherwise a reviewer's
        # approval records it (tests/test_publishing.py).
        settings.PUBLISHING_NEEDS_REVIEW = False
        article = Article.objects.get(slug="calf-muscle-spasm")
        data = article_form(article) | {"next_review_due": "2027-11-20"}
        assertRedirects(editor_client.post(change_url(article), data), "/admin/articles/article/")
        section = Section.objects.get(article=article, slug="relief")
        data = section_form(section) | {
            "last_reviewed": "2026-11-20",
            "reviewed_by": "Dr Mei Lin",
            "reviewer_role": "general practitioner",
        }
        assertRedirects(editor_client.post(change_url(section), data), "/admin/articles/section/")
        response = client.get(f"{SPASM}relief/")
        assertContains(
            response,
            'Page last reviewed: <time datetime="2026-11-20">20 November 2026</time> by '
            "Dr Mei Lin, general practitioner. Next review due: "
            '<time datetime="2027-11-20">20 November 2027</time>.',
        )
        assertNotContains(response, "Not yet reviewed")
        page = json_ld_page(response)
        assert page["lastReviewed"] == "2026-11-20"
        assert page["reviewedBy"] == {
            "@type": "Person",
            "name": "Dr Mei Lin",
            "jobTitle": "general practitioner",
        }

    def test_a_review_date_without_a_reviewer_is_refused(self, editor_client, content, settings):
        settings.PUBLISHING_NEEDS_REVIEW = False
        article = Article.objects.get(slug="calf-muscle-spasm")
        data = article_form(article) | {"last_reviewed": "2026-11-20"}
        response = editor_client.post(change_url(article), data)
        assert response.status_code == 200
        assertContains(response, "Say who did the review: a name and a role.")
        assert Article.objects.get(pk=article.pk).last_reviewed is None

    def test_the_about_page_says_how_review_works_and_is_editable(self, editor_client, content):
        about = PageText.objects.get(key=PageText.Key.ABOUT)
        body = about.body + "\n\nOur clinical adviser is named here by the editors."
        response = editor_client.post(change_url(about), page_text_form(about, body=body))
        assertRedirects(response, "/admin/articles/pagetext/")
        page = editor_client.get("/about/")
        assertContains(page, "How review works")
        assertContains(page, "Not yet reviewed by a health professional")
        assertContains(page, "Our clinical adviser is named here by the editors.")


def test_text_blocks_leave_citations_out(db):
    """Descriptions and search read the words, not the "(source)" links."""
    html = '<p>Words. <span class="cite">(<a href="/x">source</a>)</span></p>'
    assert text_blocks(html) == [("p", "Words.")]
