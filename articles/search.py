"""Full-text search over published sections, at subheading level, and its index.

Which sections count is the pages' own rule, Section.objects.published(). On PostgreSQL the
search is the ORM's (django.contrib.postgres.search) over a GIN index on the same vector
(migration 0012). On SQLite it is FTS5, kept in step with the search_entry table by triggers
(migration 0006); the ORM cannot query FTS5, so its MATCH is SQL, limited to the published
entries by the same QuerySet compiled into it. Snippets mark the matched words; the text
around them is escaped here, so nothing in the content can become markup.

Readers' words are not the articles' words, so before searching a query is read as a reader
means it: common words ("a", "how", "the") and single letters ("vitamin d") are dropped,
editors' synonyms (SearchSynonym) add the articles' words for the reader's ("charley horse"
-> cramp, "stop" -> relieve), and a word the articles never use is matched to the closest one
they do ("crmap" -> cramp) and offered as "Did you mean". Any of the words may match; the
ranking (more of them, in a heading, in a relief section for a query about what to do)
decides the order.
"""

import difflib
import math
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import connection
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import Kind, PromotedResult, SearchEntry, SearchSynonym, Section

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MAX_RESULTS = 20
# Ranked again here (see rank()): enough candidates that the best after that are among them.
MAX_CANDIDATES = 100
# Control characters that never occur in content: they bracket the matches in a snippet.
START, STOP = "\x02", "\x03"
CONFIG = "english"

# Words that say nothing about what a reader looks for; a query of only these gets guidance.
COMMON_WORDS = frozenset(
    """a about after again all am an and any are as at be been before being but by can could
    did do does doing for from get gets got had has have having he her him his how i if in into is
    it its just me might more most my no nor not of off on once only or other our out over own
    same she should so some such than that the their them then there these they this those
    through to too under until up very was way we were what when where which while who whom why
    will with would you your yours""".split()  # noqa: SIM905 (kept as prose to read and edit)
)
# What readers need first when a query does not say otherwise: what to do now (Kind's order).
KIND_WEIGHTS = {Kind.RELIEF: 1.3, Kind.CAUSES: 1.1, Kind.PREVENTION: 1.0}
# How close a word must be to one of the articles' words to be taken for it (difflib ratio).
SPELLING_CUTOFF = 0.75
MIN_CORRECTED_LENGTH = 4

SQLITE_SQL = """
    SELECT rowid,
        highlight(articles_searchentry_fts, 0, %s, %s),
        snippet(articles_searchentry_fts, 1, %s, %s, '…', 24),
        bm25(articles_searchentry_fts, 4.0, 1.0)
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


def clean_query(query):
    """The query as typed, without control characters, which HTML may not contain (the page
    shows the query back); tabs and line breaks become spaces."""
    return "".join(
        " " if char.isspace() else char
        for char in query
        if char.isspace() or unicodedata.category(char) != "Cc"
    ).strip()


def terms(query):
    """The words of a query (letters and digits, any script), at most MAX_TERMS of them."""
    return re.findall(r"[^\W_]+", query[:MAX_QUERY_LENGTH].lower())[:MAX_TERMS]


def normalize_query(query):
    """A query as pinned results are kept: its words, lower case, one space apart."""
    return " ".join(terms(query))


def highlight(snippet):
    return mark_safe(  # noqa: S308 (escaped first; only our own <mark> tags are added)
        escape(snippet).replace(START, "<mark>").replace(STOP, "</mark>")
    )


@dataclass
class Word:
    """One thing the reader asked for: what they typed, and the words that may stand for it."""

    typed: str
    alternatives: list = field(default_factory=list)
    synonym: bool = False


@dataclass
class Outcome:
    """What a search page shows."""

    results: list = field(default_factory=list)
    promoted: list = field(default_factory=list)
    suggestion: str = ""  # "Did you mean" query, or ""
    only_common_words: bool = False


def says_something(word):
    """Whether a word is worth searching for: not a common word, nor a single letter or
    digit, which as a prefix matches nearly every section ("vitamin d")."""
    return len(word) > 1 and word not in COMMON_WORDS


def read_query(words, synonyms):
    """The query's words as Word objects: synonyms applied (longest phrase first), common
    words and single letters dropped unless a synonym gives them a meaning ("what to do")."""
    phrases = sorted(synonyms, key=lambda term: -len(term.split()))
    found, at = [], 0
    while at < len(words):
        for phrase in phrases:
            size = len(phrase.split())
            if " ".join(words[at : at + size]) == phrase:
                typed = " ".join(words[at : at + size])
                meant = [w for w in re.findall(r"[^\W_]+", synonyms[phrase].lower()) if len(w) > 1]
                own = [typed] if size == 1 and says_something(typed) else []
                found.append(Word(typed, list(dict.fromkeys(own + meant)), synonym=True))
                at += size
                break
        else:
            if says_something(words[at]):
                found.append(Word(words[at], [words[at]]))
            at += 1
    return found


def vocabulary():
    """Every word of the published entries (one query: only when a word matched nothing)."""
    found = set()
    for heading, text in published_entries().values_list("heading", "text"):
        found |= tokens_of(f"{heading} {text}")
    return found


SUFFIXES = ("ing", "ies", "ed", "es", "er", "ly", "s", "e", "y")


def base(word):
    """The word without one common ending: enough to tell "stretching" is "stretch" and
    "calcuim" is not "calcium" (the databases stem better; this only decides whom to ask)."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def matched_in(word, tokens):
    """Whether the word, as a prefix or in another form, is among these words."""
    stem = base(word)
    return any(token.startswith(word) or base(token) == stem for token in tokens)


def tokens_of(text):
    return set(re.findall(r"[^\W\d_]+", text.lower()))


def correct(query_words, results, known=None):
    """{typed word: the articles' closest word} for words that match nothing."""
    found = set()
    for entry, *_ in results:
        found |= tokens_of(f"{entry.heading} {entry.text}")
    doubtful = [
        w
        for w in query_words
        if not w.synonym
        and len(w.typed) >= MIN_CORRECTED_LENGTH
        and not any(matched_in(alt, found) for alt in w.alternatives)
    ]
    if not doubtful:
        return {}
    known = vocabulary() if known is None else known
    corrections = {}
    for w in doubtful:
        if matched_in(w.typed, known):
            continue
        close = difflib.get_close_matches(w.typed, known, n=1, cutoff=SPELLING_CUTOFF)
        if close:
            corrections[w.typed] = close[0]
    return corrections


def _postgres_matches(words):
    from django.contrib.postgres.search import (
        SearchHeadline,
        SearchQuery,
        SearchRank,
        SearchVector,
    )

    # Each word as a prefix term, as on SQLite; words are letters and digits only, so no
    # tsquery operator can be written into one.
    query = None
    for word in words:
        term = SearchQuery(f"{word}:*", search_type="raw", config=CONFIG)
        query = term if query is None else query | term
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
        .order_by("-rank", "pk")[:MAX_CANDIDATES]
    )  # fmt: skip
    return [(entry, entry.heading_match, entry.text_match, entry.rank) for entry in entries]


def _sqlite_matches(words):
    # Each word as a quoted prefix term: no FTS5 operator or syntax can be injected.
    match = " OR ".join(f'"{word}"*' for word in words)
    published, params = published_entries().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            SQLITE_SQL.format(published=published),
            [START, STOP, START, STOP, match, *params, MAX_CANDIDATES],
        )
        rows = cursor.fetchall()
    entries = SearchEntry.objects.select_related("section__article").in_bulk(
        [entry_id for entry_id, *_ in rows]
    )
    # An entry missing now belongs to a section saved (and re-indexed) a moment ago. bm25 is
    # lower for better matches: its opposite is the rank.
    return [
        (entries[entry_id], heading, snippet, -score)
        for entry_id, heading, snippet, score in rows
        if entry_id in entries
    ]


def find(query_words):
    alternatives = list(dict.fromkeys(a for w in query_words for a in w.alternatives))
    if not alternatives:
        return []
    matches = _postgres_matches if connection.vendor == "postgresql" else _sqlite_matches
    return matches(alternatives)


def rank(query_words, matches):
    """Best first: entries with more of the reader's words (a word found in few entries
    counting for more, as it says more about what the reader wants), then by the database's
    rank times the topic's weight (relief first). One result per place on a page: where the
    plain-English text and the source's both match there, the plain-English one is shown."""
    covering = []
    for entry, *_ in matches:
        tokens = tokens_of(f"{entry.heading} {entry.text}")
        covering.append(
            {
                i
                for i, w in enumerate(query_words)
                if any(matched_in(a, tokens) for a in w.alternatives)
            }
        )
    total = len(matches)
    rarity = {
        i: math.log(1 + total / max(1, sum(i in found for found in covering)))
        for i in range(len(query_words))
    }
    scored = []
    for (entry, heading, snippet, score), found in zip(matches, covering, strict=True):
        weight = KIND_WEIGHTS.get(entry.section.kind, 1.0)
        words = round(sum(rarity[i] for i in found), 6)
        scored.append(((words, score * weight), entry, heading, snippet))
    scored.sort(key=lambda item: (-item[0][0], -item[0][1], item[1].pk))
    results, seen = [], {}
    for _, entry, heading, snippet in scored:
        entry.heading_html = highlight(heading or entry.heading)
        entry.snippet = highlight(snippet or entry.text[:200])
        key = (entry.section_id, entry.anchor)
        kept = seen.get(key)
        if kept is None:
            seen[key] = entry
            results.append(entry)
        elif entry.pk < kept.pk:
            # Entries of the plain-English text are made first (SearchEntry.rebuild_for).
            kept.heading_html, kept.snippet = entry.heading_html, entry.snippet
    return results


def search(query):
    """What the search page shows for a query (an Outcome): the published entries matching
    it, best first, with `heading_html` and `snippet` (safe HTML, matched words in <mark>),
    the sections editors pinned for it, and a "Did you mean" query for a misspelling."""
    words = terms(query)
    outcome = Outcome()
    if not words:
        return outcome
    synonyms = dict(SearchSynonym.objects.values_list("term", "meaning"))
    query_words = read_query(words, synonyms)
    if not query_words:
        outcome.only_common_words = True
        return outcome
    promoted = list(
        PromotedResult.objects.filter(
            query=" ".join(words), section__in=Section.objects.published()
        ).select_related("section__article")
    )
    outcome.promoted = [promotion.section for promotion in promoted]
    matches = find(query_words)
    corrections = correct(query_words, matches)
    if corrections:
        for w in query_words:
            if w.typed in corrections:
                w.alternatives.append(corrections[w.typed])
        matches = find(query_words)
        outcome.suggestion = " ".join(corrections.get(word, word) for word in words)
    pinned = {section.pk for section in outcome.promoted}
    outcome.results = [
        entry
        for entry in rank(query_words, matches)
        if not (entry.section_id in pinned and not entry.anchor)
    ][:MAX_RESULTS]
    return outcome
