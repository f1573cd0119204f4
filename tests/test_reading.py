"""The reading pages' prepared queries (articles/reading.py, articles/prepared.py) and the
Jinja2 templates that show what they read."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains, assertNotContains

from articles import reading
from articles.models import Article, Kind, Section, Status

SPASM = "calf-muscle-spasm"


def rows(instances):
    """What a page could read from each instance: every column it loaded."""
    return [
        {field: getattr(item, field) for field in item.__dict__ if not field.startswith("_")}
        for item in instances
    ]


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


@pytest.mark.parametrize("drafts", [False, True])
def test_prepared_queries_read_what_their_querysets_read(with_drafts, drafts):
    pk = with_drafts.pk
    calls = [
        (reading.articles, (drafts,)),
        (reading.article, (SPASM, drafts)),
        (reading.article, ("draft-article", drafts)),
        (reading.article, ("no-such-article", drafts)),
        (reading.article_sections, (pk, drafts)),
        (reading.section, (pk, "relief", drafts)),
        (reading.section, (pk, "draft-section", drafts)),
        (reading.section_links, (pk, drafts)),
        *((reading.topic_sections, (kind,)) for kind in Kind),
    ]
    for function, args in calls:
        expected = list(function.queryset(*args))
        # Twice: the second run is the one that reuses the compiled SQL.
        assert rows(function(*args)) == rows(expected), function.__name__
        assert rows(function(*args)) == rows(expected), function.__name__
    assert any(rows(reading.article_sections(pk, drafts))) and rows(reading.articles(drafts))


def test_drafts_are_read_only_for_the_preview(with_drafts):
    headings = [section.heading for section in reading.article_sections(with_drafts.pk)]
    assert "Draft section" not in headings
    assert "Draft section" in [s.heading for s in reading.article_sections(with_drafts.pk, True)]
    assert reading.article("draft-article") == []
    assert "Draft section" not in [s.heading for s in reading.topic_sections(Kind.RELIEF)]


def test_results_are_never_kept_only_the_sql(content):
    """Each call runs the query: an editor's save shows at once."""
    spasm = Article.objects.get(slug=SPASM)
    assert reading.section(spasm.pk, "relief")[0].heading != "Renamed"
    Section.objects.filter(article=spasm, slug="relief").update(heading="Renamed")
    with CaptureQueriesContext(connection) as queries:
        assert reading.section(spasm.pk, "relief")[0].heading == "Renamed"
    assert len(queries) == 1


def test_a_section_whose_article_went_meanwhile_is_left_out(content):
    """Sections and articles are read by two queries; an editor may unpublish in between."""
    sections = reading.topic_sections(Kind.CAUSES)
    Article.objects.filter(slug=SPASM).update(status=Status.DRAFT)
    shown = reading.with_articles(sections, reading.articles())
    assert len(shown) == len(sections) - 1
    assert {section.article.slug for section in shown} == {"sleeping-foot-cramp"}


HOSTILE = '<script>alert(1)</script>" onmouseover="alert(2)'


@pytest.mark.parametrize(
    "url",
    ["/", "/causes/", f"/articles/{SPASM}/", f"/articles/{SPASM}/causes/",
     f"/articles/{SPASM}/source/", "/about/"],
)  # fmt: skip
def test_what_editors_type_is_escaped_on_every_page(client, content, url):
    """Jinja2 escapes by default, as Django's templates do: titles and headings are text."""
    spasm = Article.objects.get(slug=SPASM)
    spasm.title = spasm.publisher = spasm.source_title = HOSTILE
    spasm.save()
    section = spasm.sections.get(slug="causes")
    section.heading = HOSTILE
    section.save()
    response = client.get(url)
    assert response.status_code == 200
    assertNotContains(response, "<script>alert(1)")
    assertNotContains(response, '" onmouseover="')
    assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")


def test_remembered_addresses_follow_the_script_prefix(db):
    """A site served under a path prefix (SCRIPT_NAME) gets its own addresses, not the root's."""
    from django.urls import set_script_prefix

    from articles.paths import page_path

    assert page_path("articles:article", article="x") == "/articles/x/"
    set_script_prefix("/night/")
    try:
        assert page_path("articles:article", article="x") == "/night/articles/x/"
    finally:
        set_script_prefix("/")
    assert page_path("articles:article", article="x") == "/articles/x/"


def test_warm_up_compiles_every_page_template_without_a_query():
    """gunicorn's master runs it before forking workers (cramps_site/gunicorn.conf.py). No
    database here: pytest-django fails a test without the db fixture that touches it."""
    from django.template import engines

    from cramps_site.warmup import warm_up

    env = engines["jinja2"].env
    env.cache.clear()
    warm_up()
    compiled = {key[1] for key, _template in env.cache.items()}
    assert compiled >= set(env.list_templates(extensions=["html"])) >= {"base.html", "404.html"}
