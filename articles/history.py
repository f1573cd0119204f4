"""Readable differences between saved versions, for the admin's history pages."""

import difflib
import re

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from simple_history.template_utils import HistoricalRecordContextHelper

CONTEXT_WORDS = 8


def readable_diff(old, new):
    """Words removed in <del>, words added in <ins>; long unchanged stretches shortened."""
    old_words = re.findall(r"\S+\s*", old or "")
    new_words = re.findall(r"\S+\s*", new or "")
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    parts = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            same = old_words[a1:a2]
            if len(same) > 2 * CONTEXT_WORDS:
                head = same[:CONTEXT_WORDS] if parts else []
                tail = same[-CONTEXT_WORDS:] if a2 < len(old_words) else []
                same = [*head, "… ", *tail]
            parts.append(escape("".join(same)))
            continue
        if a2 > a1:
            parts.append(f"<del>{escape(''.join(old_words[a1:a2]))}</del>")
        if b2 > b1:
            parts.append(f"<ins>{escape(''.join(new_words[b1:b2]))}</ins>")
    return mark_safe("".join(parts))  # noqa: S308 (every piece is escaped above)


def set_change_reason(obj, reason):
    """The reason the history gives for obj's next save, shortened to fit its column: a long
    name or role (kept whole elsewhere) must not fail the save (PostgreSQL enforces it)."""
    column = type(obj).history.model._meta.get_field("history_change_reason")
    obj._change_reason = Truncator(reason).chars(column.max_length)


class DiffContextHelper(HistoricalRecordContextHelper):
    """Shows changes to text fields as a word-level difference instead of two long strings."""

    def context_for_delta_changes(self, delta):
        context = super().context_for_delta_changes(delta)
        for item, change in zip(context, delta.changes, strict=True):
            if isinstance(change.old, str) and isinstance(change.new, str):
                item["diff"] = readable_diff(change.old, change.new)
        return context
