"""A source text split into sentences, each with an address of its own.

Plain-English versions cite the source sentence by sentence (``[@id]``, articles/markdown.py),
and the source page gives every sentence its id, so a citation lands on the exact words.
An id is made from the sentence alone, its first words and a short hash of all of it, so it
never changes when other text changes; only the same sentence said twice gets a -2 suffix.
"""

import hashlib
import re
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import slugify

# A sentence ends at . ? or ! followed by white space.
BOUNDARY = re.compile(r"(?<=[.?!])\s+")
# "1." at the start of a numbered item is not a sentence of its own.
LIST_NUMBER = re.compile(r"\d+[.、]")
ID_WORDS = 5
ID_MAX_LENGTH = 40


@dataclass(frozen=True)
class Sentence:
    id: str
    text: str


def _pieces(line):
    """The sentences of one line, with the white space that follows each, word for word."""
    pieces = []
    start = 0
    for match in BOUNDARY.finditer(line):
        pieces.append([line[start : match.start()], match.group()])
        start = match.end()
    pieces.append([line[start:], ""])
    merged = []
    for text, space in pieces:
        # A bare list number, or a stray mark such as the "." after "contracture? ", belongs
        # with its neighbour rather than being a sentence.
        if merged and (LIST_NUMBER.fullmatch(merged[-1][0]) or not re.search(r"\w", text)):
            merged[-1][0] += merged[-1][1] + text
            merged[-1][1] = space
        else:
            merged.append([text, space])
    return [(text, space) for text, space in merged if text]


def sentence_id(text):
    words = slugify(" ".join(text.split()[:ID_WORDS]))[:ID_MAX_LENGTH].strip("-") or "s"
    digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:4]
    return f"{words}-{digest}"


def paragraphs(source_text):
    """[[(Sentence, following white space), ...], ...]: one list per non-empty line."""
    seen = {}
    found = []
    for line in source_text.splitlines():
        if not line.strip():
            continue
        sentences = []
        for text, space in _pieces(line):
            base = sentence_id(text)
            seen[base] = seen.get(base, 0) + 1
            ident = base if seen[base] == 1 else f"{base}-{seen[base]}"
            sentences.append((Sentence(ident, text), space))
        found.append(sentences)
    return found


def sentences(source_text):
    """Every sentence of the text, in order."""
    return [sentence for line in paragraphs(source_text) for sentence, _ in line]


def sentence_ids(source_text):
    return {sentence.id for sentence in sentences(source_text)}


def to_html(source_text):
    """The text word for word, a <p> per line and an addressable <span> per sentence."""
    return mark_safe(  # noqa: S308 (format_html escapes every sentence)
        "\n".join(
            format_html(
                "<p>{}</p>",
                format_html_join(
                    "",
                    '<span class="sentence" id="{}">{}</span>{}',
                    ((sentence.id, sentence.text, space) for sentence, space in line),
                ),
            )
            for line in paragraphs(source_text)
        )
    )
