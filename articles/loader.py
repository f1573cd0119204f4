"""Loads the shipped articles (articles/content/*/article.toml) into the database.

Idempotent and safe to run on every deploy: it creates what is missing, brings shipped
content up to date where no editor has touched it, and never overwrites an editor's change.
Each row remembers a fingerprint of the content as last loaded (``seed_hash``); a row whose
current content no longer matches its fingerprint has been edited and is left alone.
"""

import hashlib
import json
import tomllib
from collections import Counter
from pathlib import Path

from django.db import transaction
from django.db.models.signals import pre_save
from django.dispatch import receiver

from .history import set_change_reason
from .models import Article, PageText, Publishable, SearchSynonym, Section, Status
from .publishing import open_revision
from .search import normalize_query

CONTENT_DIR = Path(__file__).resolve().parent / "content"

ARTICLE_FIELDS = (
    "title", "slug", "publisher", "publisher_category", "source_title", "source_note", "intro",
    "help_level", "help_note", "plain_intro",
)  # fmt: skip
SECTION_FIELDS = (
    "kind", "heading", "heading_is_editorial", "slug", "body", "position",
    "help_level", "help_note", "plain_heading", "plain",
)  # fmt: skip
PAGE_TEXT_FIELDS = ("heading", "body")
PAGE_TEXTS = "page-texts.toml"
SYNONYMS = "search-synonyms.toml"
# How a synonym's first history record says the loader made it; migration 0024 recorded the
# synonyms already there, which count as the loader's when they are a shipped one as shipped.
SYNONYM_LOADED = "Shipped content loaded"
SYNONYM_RECORDED = "Recorded when synonyms got a history"


def fingerprint(values):
    values = {k: v.replace("\r\n", "\n") if isinstance(v, str) else v for k, v in values.items()}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def current_values(obj, fields):
    return {field: getattr(obj, field) for field in fields}


def read_manifest(path):
    """The article and section values one article.toml ships, with its files read in."""
    folder = path.parent
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    files = {"intro", "plain_intro"}
    article = {field: data.get(field, "").strip() for field in ARTICLE_FIELDS if field not in files}
    article["intro"] = read(folder, data["intro_file"])
    article["plain_intro"] = read(folder, data.get("plain_intro_file"))
    article["text_changed"] = data["changed"]
    sections = []
    for position, section in enumerate(data["sections"], start=1):
        values = {
            "kind": section["kind"],
            "heading": section["heading"],
            "heading_is_editorial": section.get("heading_is_editorial", False),
            "slug": section["slug"],
            "body": read(folder, section["body_file"]),
            "position": position * 10,
            "help_level": section.get("help_level", ""),
            "help_note": section.get("help_note", "").strip(),
            "plain_heading": section.get("plain_heading", ""),
            "plain": read(folder, section.get("plain_file")),
            "text_changed": section["changed"],
        }
        sections.append((section["key"], values))
    # newline="" keeps the source byte for byte, line endings included.
    with open(folder / data["source_file"], encoding="utf-8", newline="") as handle:
        source_text = handle.read()
    return data["key"], article, source_text, sections


def read(folder, name):
    """A content file's text, or "" when there is none."""
    return (folder / name).read_text(encoding="utf-8").strip() if name else ""


def read_page_texts(path):
    """[(key, values), ...] for the texts in page-texts.toml."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        (
            text["key"],
            {
                "heading": text["heading"],
                "body": read(path.parent, text["body_file"]),
                "text_changed": text["changed"],
            },
        )
        for text in data["texts"]
    ]


def _sync(obj, fields, shipped, counts, noun):
    """Create or update one row from shipped values, unless an editor has changed it.

    `shipped` also carries the date its text last changed in the content files, which
    becomes the row's "Last updated" date; it is not part of the fingerprint."""
    shipped = dict(shipped)
    text_changed = shipped.pop("text_changed")
    shipped_hash = fingerprint(shipped)
    if obj.pk is None:
        outcome, reason = "created", "Shipped content loaded"
    elif fingerprint(current_values(obj, fields)) != obj.seed_hash or open_revision(obj):
        # Changed by an editor, or being changed: a draft waits for review.
        counts[f"{noun} kept as edited"] += 1
        return
    elif shipped_hash == obj.seed_hash:
        counts[f"{noun} unchanged"] += 1
        return
    else:
        outcome, reason = "updated", "Shipped content updated"
    for field, value in shipped.items():
        setattr(obj, field, value)
    obj.text_changed = text_changed
    if outcome == "created" and isinstance(obj, Publishable):
        obj.status = Status.PUBLISHED
    obj.seed_hash = shipped_hash
    set_change_reason(obj, reason)
    obj.save()
    counts[f"{noun} {outcome}"] += 1


@transaction.atomic
def load_content(content_dir=CONTENT_DIR):
    """Load every shipped article; returns counts of what was created, updated and kept."""
    counts = Counter()
    for manifest in sorted(Path(content_dir).glob("*/article.toml")):
        key, shipped, source_text, sections = read_manifest(manifest)
        article = Article.objects.filter(seed_key=key).first()
        if article is None:
            if Article.history.filter(seed_key=key).exists():
                counts["articles kept as removed"] += 1  # an editor deleted it: respect that
                continue
            # The source text is set once, when the article is first loaded, and never again.
            article = Article(seed_key=key, source_text=source_text)
        _sync(article, ARTICLE_FIELDS, shipped, counts, "articles")
        existing = {section.seed_key: section for section in article.sections.all()}
        loaded_before = set(
            Section.history.filter(article_id=article.pk).values_list("seed_key", flat=True)
        )
        for section_key, values in sections:
            section = existing.get(section_key)
            if section is None and section_key in loaded_before:
                # Deleted or moved to another article by an editor: not brought back.
                counts["sections kept as removed"] += 1
                continue
            section = section or Section(article=article, seed_key=section_key)
            _sync(section, SECTION_FIELDS, values, counts, "sections")
    page_texts = Path(content_dir) / PAGE_TEXTS
    if page_texts.exists():
        for key, values in read_page_texts(page_texts):
            text = PageText.objects.filter(key=key).first() or PageText(key=key)
            _sync(text, PAGE_TEXT_FIELDS, values, counts, "page texts")
    synonyms = Path(content_dir) / SYNONYMS
    if synonyms.exists():
        # Only terms the database lacks: an editor's meaning for a term is never replaced,
        # and a shipped term once loaded (an editor deleted or renamed it) is not brought back.
        shipped = {
            normalize_query(values["term"]): values["meaning"]
            for values in tomllib.loads(synonyms.read_text(encoding="utf-8"))["synonyms"]
        }
        present = set(SearchSynonym.objects.values_list("term", flat=True))
        first_records = SearchSynonym.history.filter(history_type="+").values_list(
            "term", "meaning", "history_change_reason"
        )
        loaded_before = {
            term
            for term, meaning, reason in first_records
            if reason == SYNONYM_LOADED
            or (reason == SYNONYM_RECORDED and shipped.get(term) == meaning)
        }
        for term, meaning in shipped.items():
            if term in present:
                counts["search synonyms kept"] += 1
            elif term in loaded_before:
                counts["search synonyms kept as removed"] += 1
            else:
                synonym = SearchSynonym(term=term, meaning=meaning)
                set_change_reason(synonym, SYNONYM_LOADED)
                synonym.save()
                counts["search synonyms added"] += 1
    return counts


@receiver(pre_save, sender=Section, dispatch_uid="forget-moved-section")
def forget_moved_section(sender, instance, raw=False, **kwargs):
    """A section an editor moves to another article is no longer the shipped section the
    loader knows: it never updates it, nor brings it back to its first article."""
    if raw or instance.pk is None or not instance.seed_key:
        return
    saved = Section.objects.filter(pk=instance.pk).values_list("article_id", flat=True).first()
    if saved is not None and saved != instance.article_id:
        instance.seed_key = None
