"""The shipped content is the product: nothing lost, nothing doubled, editors' work kept."""

import io
import json
import re
import tomllib
from pathlib import Path

import pytest
from django.core.management import call_command

from articles.loader import CONTENT_DIR, load_content
from articles.markdown import text_blocks
from articles.models import Article, Kind, Section

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SEED_FILES = {
    "calf-muscle-spasm": "000_47f05c07c70d4191.txt",
    "sleeping-foot-cramp": "001_b88e3962f50b7fb5.txt",
}
# Lines that are page furniture, not article text: the location line and the repeated title.
NOT_ARTICLE_TEXT = {
    "calf-muscle-spasm": 2,  # location line, then the title again
    "sleeping-foot-cramp": 2,  # publisher name, then the title
}


@pytest.fixture
def content(db):
    """Here the loader itself is under test, so it loads the content into an empty database
    (elsewhere the `content` fixture loads a copy of what it made once per run)."""
    load_content()
    return Article.objects.order_by("pk")


def normalize(text):
    # The source's "1、" top-level numbering becomes the section structure on the site.
    text = re.sub(r"^\d+、\s*", "", text.strip())
    return " ".join(text.split())


def places(article):
    """The text of each place a paragraph can be shown in: the introduction and each section."""
    found = {"introduction": " ".join(text for _, text in text_blocks(article.intro_html))}
    for section in article.sections.all():
        body = " ".join(text for _, text in text_blocks(section.body_html))
        found[section.slug] = f"{section.heading} {body}"
    return {name: normalize(text) for name, text in found.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SEED_FILES)
def test_every_source_paragraph_appears_in_exactly_one_place(content, slug):
    article = content.get(slug=slug)
    lines = [line for line in article.source_text.splitlines() if line.strip()]
    paragraphs = lines[NOT_ARTICLE_TEXT[slug] :]
    assert len(paragraphs) > 10
    texts = places(article)
    for paragraph in paragraphs:
        where = {name: text.count(normalize(paragraph)) for name, text in texts.items()}
        where = {name: count for name, count in where.items() if count}
        assert sum(where.values()) == 1, f"{paragraph[:60]!r} appears in {where or 'no place'}"


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SEED_FILES)
def test_nothing_but_marked_editorial_text_is_added_to_the_source(content, slug):
    """The reverse of the coverage test: every block readers see (editor's notes and
    headings marked as editorial aside) is the source's own wording."""
    article = content.get(slug=slug)
    source = normalize(article.source_text)
    shown = [text for _, text in text_blocks(article.intro_html)]
    for section in article.sections.all():
        if not section.heading_is_editorial:
            shown.append(section.heading)
        shown += [text for _, text in text_blocks(section.body_html)]
    for text in shown:
        assert normalize(text) in source, text
    for section in article.sections.exclude(help_level=""):
        for quote in re.findall(r"“(.+?)”", section.help_note):
            assert normalize(quote) in source, quote


@pytest.mark.django_db
def test_sections_are_split_as_the_editors_planned(content):
    layout = {
        article.slug: [(s.kind, s.slug, s.heading_is_editorial) for s in article.sections.all()]
        for article in content
    }
    planned = [
        (Kind.CAUSES, "causes", False),
        (Kind.RELIEF, "relief", False),
        (Kind.PREVENTION, "prevention", True),
    ]
    assert layout == {"calf-muscle-spasm": planned, "sleeping-foot-cramp": planned}
    spasm = content.get(slug="calf-muscle-spasm")
    assert (spasm.publisher, spasm.publisher_category) == (
        "Plastic Surgery and Aesthetics Network",
        "Plastic surgery and medical aesthetics",
    )
    assert spasm.title == "How to treat and recover calf muscle spasm?"
    assert content.get(slug="sleeping-foot-cramp").publisher == "Sihai network"


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SEED_FILES)
def test_source_text_is_stored_word_for_word(content, slug):
    shipped = (CONTENT_DIR / slug / "source.txt").read_bytes()
    assert content.get(slug=slug).source_text.encode() == shipped


# The seeds sit beside the repo (../shared/seeds) in the team's checkouts and in CI; a clone
# anywhere else has only the shipped copies, so the comparison is skipped there.
@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"no original seeds at {SEEDS}")
@pytest.mark.parametrize("slug", SEED_FILES)
def test_shipped_source_text_is_the_original_seed_byte_for_byte(slug):
    shipped = (CONTENT_DIR / slug / "source.txt").read_bytes()
    assert shipped == (SEEDS / SEED_FILES[slug]).read_bytes()


@pytest.mark.django_db
def test_shipped_sections_pass_the_editors_validation(content):
    for section in Section.objects.all():
        section.full_clean()  # subheading anchors are unique wherever they are shown together


@pytest.mark.django_db
def test_every_subheading_has_an_explicit_anchor(content):
    for section in Section.objects.all():
        headings = re.findall(r"^#{2,6} .*$", section.body, re.M)
        without_anchor = [h for h in headings if not re.search(r"\{#[a-z0-9-]+\}$", h)]
        assert without_anchor == [], section


@pytest.mark.django_db
def test_numbered_lists_read_as_one_list(content):
    """An editor's note inside a list item never pushes the items after it into that item
    (steps 3 to 6 shown under step 2)."""
    for section in Section.objects.all():
        for html in (section.body_html, section.plain_html):
            assert "<ol start=" not in html, section
    causes = Section.objects.get(article__slug="calf-muscle-spasm", slug="causes").plain_html
    assert re.search(r"<ol>\n(?:<li>.*?</li>\n){6}</ol>", causes, re.S)


@pytest.mark.django_db
class TestLoader:
    def rows(self):
        return (
            list(Article.objects.values_list("pk", "slug", "title", "intro", "source_text")),
            list(Section.objects.values_list("pk", "article_id", "slug", "heading", "body")),
        )

    def test_running_twice_changes_nothing(self, content):
        before = self.rows()
        counts = load_content()
        assert self.rows() == before
        assert counts == {
            "articles unchanged": 2,
            "sections unchanged": 6,
            "page texts unchanged": 7,
            "search synonyms kept": len(shipped_synonyms()),
        }

    def test_editors_changes_are_kept(self, content):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        section.body += "\n\nAn editor's addition."
        section.save()
        article = section.article
        article.title = "An editor's title"
        article.save()

        counts = load_content()

        section.refresh_from_db()
        article.refresh_from_db()
        assert section.body.endswith("An editor's addition.")
        assert article.title == "An editor's title"
        assert counts["sections kept as edited"] == 1
        assert counts["articles kept as edited"] == 1
        assert Section.objects.count() == 6

    def test_renamed_sections_are_not_loaded_twice(self, content):
        section = Section.objects.get(article__slug="sleeping-foot-cramp", slug="causes")
        section.slug = "why-it-happens"
        section.save()
        load_content()
        assert Section.objects.filter(article=section.article).count() == 3

    def test_updates_shipped_content_nobody_has_edited(self, content, tmp_path, settings):
        import shutil

        shutil.copytree(CONTENT_DIR, tmp_path / "content")
        relief = tmp_path / "content" / "calf-muscle-spasm" / "relief.md"
        relief.write_text(relief.read_text() + "\nA shipped correction.\n")
        counts = load_content(tmp_path / "content")
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        assert section.body.endswith("A shipped correction.")
        assert "A shipped correction." in section.body_html
        assert counts["sections updated"] == 1

    def test_never_changes_the_source_text(self, content, tmp_path):
        import shutil

        shutil.copytree(CONTENT_DIR, tmp_path / "content")
        (tmp_path / "content" / "sleeping-foot-cramp" / "source.txt").write_text("changed")
        load_content(tmp_path / "content")
        assert Article.objects.get(slug="sleeping-foot-cramp").source_text.startswith(
            "Sihai network"
        )


# What differs between two loads of the same content: row ids (PostgreSQL's sequences are not
# rolled back) and the times of the saves.
LOAD_SPECIFIC = {"id", "article", "section", "history_user", "created", "updated", "history_date"}


def loaded_rows(fixture_json):
    """{model: sorted rows} of a dumpdata file, without what differs from one load to another."""
    rows = {}
    for row in json.loads(fixture_json):
        fields = {k: v for k, v in row["fields"].items() if k not in LOAD_SPECIFIC}
        rows.setdefault(row["model"], []).append(json.dumps(fields, sort_keys=True))
    return {model: sorted(found) for model, found in rows.items()}


@pytest.mark.django_db
def test_other_tests_start_from_what_the_loader_makes(content, shipped_content):
    """Elsewhere, the `content` fixture loads a copy of the loader's rows made once per run
    (tests/conftest.py): the same rows, none missing, history and search entries included."""
    loaded_here = io.StringIO()
    call_command("dumpdata", "articles", exclude=["articles.contentversion"], stdout=loaded_here)
    copy = loaded_rows(shipped_content.read_text())
    assert set(copy) >= {"articles.article", "articles.section", "articles.searchentry"}
    assert loaded_rows(loaded_here.getvalue()) == copy


def shipped_synonyms():
    path = CONTENT_DIR / "search-synonyms.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))["synonyms"]
