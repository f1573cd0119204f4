"""Full-text search over published sections, at subheading level.

A real full-text index on both databases (see migration 0006): SQLite's FTS5, kept in step
with the search_entry table by triggers, and on PostgreSQL a GIN index over the same
expression the query uses. Snippets mark the matched words; the text around them is escaped
here, so nothing in the content can become markup.
"""

import re

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import SearchEntry, Status

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MAX_RESULTS = 20
# Control characters that never occur in content: they bracket the matches in a snippet.
START, STOP = "\x02", "\x03"

SQLITE_SQL = """
    SELECT e.id,
        highlight(articles_searchentry_fts, 0, %(start)s, %(stop)s),
        snippet(articles_searchentry_fts, 1, %(start)s, %(stop)s, '…', 24)
    FROM articles_searchentry_fts
    JOIN articles_searchentry e ON e.id = articles_searchentry_fts.rowid
    JOIN articles_section s ON s.id = e.section_id
    JOIN articles_article a ON a.id = s.article_id
    WHERE articles_searchentry_fts MATCH %(match)s
      AND s.status = %(published)s AND a.status = %(published)s
    ORDER BY bm25(articles_searchentry_fts, 4.0, 1.0)
    LIMIT %(limit)s
"""
POSTGRES_SQL = """
    SELECT e.id,
        ts_headline('english', e.heading, q, %(heading_options)s),
        ts_headline('english', e.text, q, %(text_options)s)
    FROM articles_searchentry e
    JOIN articles_section s ON s.id = e.section_id
    JOIN articles_article a ON a.id = s.article_id,
    websearch_to_tsquery('english', %(match)s) q
    WHERE to_tsvector('english', e.heading || ' ' || e.text) @@ q
      AND s.status = %(published)s AND a.status = %(published)s
    -- The WHERE clause uses the indexed expression; the ranking weighs headings higher.
    ORDER BY ts_rank(setweight(to_tsvector('english', e.heading), 'A')
                     || setweight(to_tsvector('english', e.text), 'B'), q) DESC, e.id
    LIMIT %(limit)s
"""
PARAMETERS = {
    "start": START,
    "stop": STOP,
    "heading_options": f"StartSel={START}, StopSel={STOP}, HighlightAll=true",
    "text_options": f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=1",
    "published": Status.PUBLISHED.value,
    "limit": MAX_RESULTS,
}


def terms(query):
    """The words of a query (letters and digits, any script), at most MAX_TERMS of them."""
    return re.findall(r"\w+", query[:MAX_QUERY_LENGTH])[:MAX_TERMS]


def highlight(snippet):
    return mark_safe(  # noqa: S308 (escaped first; only our own <mark> tags are added)
        escape(snippet).replace(START, "<mark>").replace(STOP, "</mark>")
    )


def search(query):
    """Published sections matching the query, best first, as SearchEntry objects with
    `heading_html` and `snippet` (safe HTML, matched words in <mark>)."""
    words = terms(query)
    if not words:
        return []
    if connection.vendor == "postgresql":
        sql, match = POSTGRES_SQL, " ".join(words)
    else:
        # Each word as a quoted prefix term: no FTS5 operator or syntax can be injected.
        sql, match = SQLITE_SQL, " ".join(f'"{word}"*' for word in words)
    with connection.cursor() as cursor:
        cursor.execute(sql, {**PARAMETERS, "match": match})
        rows = cursor.fetchall()
    entries = SearchEntry.objects.select_related("section__article").in_bulk(
        [entry_id for entry_id, _, _ in rows]
    )
    results = []
    for entry_id, heading, snippet in rows:
        entry = entries.get(entry_id)
        if entry is None:  # its section was saved (and re-indexed) a moment ago
            continue
        entry.heading_html = highlight(heading or entry.heading)
        entry.snippet = highlight(snippet or entry.text[:200])
        results.append(entry)
    return results
