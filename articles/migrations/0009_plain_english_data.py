"""Existing rows: "Last updated" from when each row last changed, and the content loader's
fingerprints extended to the new plain-English fields, so shipped plain-English versions
load into rows no editor has changed (and never into rows one has)."""

import hashlib
import json

from django.db import migrations

OLD_FIELDS = {
    "article": (
        "title", "slug", "publisher", "publisher_category", "source_title", "source_note",
        "intro", "help_level", "help_note",
    ),
    "section": (
        "kind", "heading", "heading_is_editorial", "slug", "body", "position", "help_level",
        "help_note",
    ),
}  # fmt: skip
NEW_FIELDS = {"article": ("plain_intro",), "section": ("plain_heading", "plain")}


def fingerprint(obj, fields):
    # As the content loader computed it when this migration was written.
    values = {field: getattr(obj, field) for field in fields}
    values = {k: v.replace("\r\n", "\n") if isinstance(v, str) else v for k, v in values.items()}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def forwards(apps, schema_editor):
    for name in ("article", "section"):
        model = apps.get_model("articles", name)
        rows = list(model.objects.all())
        for row in rows:
            row.text_changed = row.updated.date()
            if row.seed_key and row.seed_hash == fingerprint(row, OLD_FIELDS[name]):
                row.seed_hash = fingerprint(row, OLD_FIELDS[name] + NEW_FIELDS[name])
        model.objects.bulk_update(rows, ["text_changed", "seed_hash"])


class Migration(migrations.Migration):
    dependencies = [("articles", "0008_plain_english")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
