"""Editors see (not change) the redirects that renaming a slug records, so they can tell
where an old address now leads."""

from django.db import migrations

from . import _groups

PERMISSION = "view_redirect"


def grant(apps, schema_editor):
    _groups.grant(apps, "Editors", "redirects", [PERMISSION])


def revoke(apps, schema_editor):
    _groups.revoke(apps, "Editors", "redirects", [PERMISSION])


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0014_editorial_note_help_text"),
        ("redirects", "0002_alter_redirect_new_path_help_text"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
