"""Editors change the page texts (the "During a cramp" box, the About page) and read their
history, as they do for articles and sections."""

from django.db import migrations

from . import _groups

PERMISSIONS = ["change_pagetext", "view_pagetext", "view_historicalpagetext"]


def grant(apps, schema_editor):
    _groups.grant(apps, "Editors", "articles", PERMISSIONS)


def revoke(apps, schema_editor):
    _groups.revoke(apps, "Editors", "articles", PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("articles", "0009_plain_english_data")]

    operations = [migrations.RunPython(grant, revoke)]
