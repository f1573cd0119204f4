"""Full-text search over published sections, at subheading level, and its index.

Which sections count is the pages' own rule, Section.objects.published(). On PostgreSQL the
search is the ORM's (django.contrib.postgres.search) over a GIN index on the same vector
(migration 0012). On SQLite it is FTS5, kept in step with the search_entry table by triggers
(migration 0006); the ORM cannot query FTS5, so its MATCH is SQL, limited to the published
entries by the same QuerySet compiled into it. Snippets mark the matched words; the text
around them is escaped here, so nothing in the content can become markup.
"""

import re

from django.db import connection
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import SearchEntry, Section

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MAX_RESULTS = 20
# Control characters that never occur in content: they bracket the matches in a snippet.
START, STOP = "\x02", "\x03"
CONFIG = "english"

SQLITE_SQL = """
    SELECT rowid,
        highlight(articles_searchentry_fts, 0, %s, %s),
        snippet(articles_searchentry_fts, 1, %s, %s, '…', 24)
    FROM articles_searchentry_fts
    WHERE articles_searchentry_fts MATCH %s AND rowid IN ({published})
    ORDER BY bm25(articles_searchentry_fts, 4.0, 1.0)
    LIMIT %s
"""


@receiver(post_save, sender=Section, dispatch_uid="index-section")
def index_section(sender, instance, raw=False, **kwargs):
    """Every save of a section rebuilds its entries (and so the full-text index)."""
    if not raw:
        SearchEntry.rebuild_for(instance)


def published_entries():
    return SearchEntry.objects.filter(section__in=Section.objects.published())


def terms(query):
    """The words of a query (letters and digits, any script), at most MAX_TERMS of them."""
    return re.findall(r"\w+", query[:MAX_QUERY_LENGTH])[:MAX_TERMS]


def highlight(snippet):
    return mark_safe(  # noqa: S308 (escaped first; only our own <mark> tags are added)
        escape(snippet).replace(START, "<mark>").replace(STOP, "</mark>")
    )


def _postgres_matches(words):
    from django.contrib.postgres.search import (
        SearchHeadline,
        SearchQuery,
        SearchRank,
        SearchVector,
    )

    query = SearchQuery(" ".join(words), search_type="websearch", config=CONFIG)
    weighted = SearchVector("heading", weight="A", config=CONFIG) + SearchVector(
        "text", weight="B", config=CONFIG
    )
    entries = (
        published_entries()
        .annotate(document=SearchVector("heading", "text", config=CONFIG))  # the indexed one
        .filter(document=query)
        .annotate(
            rank=SearchRank(weighted, query),
            heading_match=SearchHeadline(
                "heading", query, config=CONFIG, start_sel=START, stop_sel=STOP,
                highlight_all=True,
            ),
            text_match=SearchHeadline(
                "text", query, config=CONFIG, start_sel=START, stop_sel=STOP, max_words=30,
                min_words=12, max_fragments=1,
            ),
        )
        .select_related("section__article")
        .order_by("-rank", "pk")[:MAX_RESULTS]
    )  # fmt: skip
    return [(entry, entry.heading_match, entry.text_match) for entry in entries]


def _sqlite_matches(words):
    # Each word as a quoted prefix term: no FTS5 operator or syntax can be injected.
    match = " ".join(f'"{word}"*' for word in words)
    published, params = published_entries().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            SQLITE_SQL.format(published=published),
            [START, STOP, START, STOP, match, *params, MAX_RESULTS],
        )
        rows = cursor.fetchall()
    entries = SearchEntry.objects.select_related("section__article").in_bulk(
        [entry_id for entry_id, _, _ in rows]
    )
    # An entry missing now belongs to a section saved (and re-indexed) a moment ago.
    return [(entries[row[0]], *row[1:]) for row in rows if row[0] in entries]


def search(query):
    """Published sections matching the query, best first, as SearchEntry objects with
    `heading_html` and `snippet` (safe HTML, matched words in <mark>)."""
    words = terms(query)
    if not words:
        return []
    find = _postgres_matches if connection.vendor == "postgresql" else _sqlite_matches
    results = []
    for entry, heading, snippet in find(words):
        entry.heading_html = highlight(heading or entry.heading)
        entry.snippet = highlight(snippet or entry.text[:200])
        results.append(entry)
    return results
