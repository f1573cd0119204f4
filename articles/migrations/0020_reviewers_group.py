"""The Reviewers group (health professionals): they see the pages and the changes waiting for
review, and approve them or send them back. Editors see the changes (their own come back with
a reviewer's comment) but cannot approve them."""

from django.db import migrations

from . import _groups

REVIEWERS = [
    "view_article", "view_section", "view_pagetext", "view_revision", "review_revision",
]  # fmt: skip
EDITORS = ["view_revision"]


def grant(apps, schema_editor):
    for group, wanted in (("Reviewers", REVIEWERS), ("Editors", EDITORS)):
        _groups.grant(apps, group, "articles", wanted)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name="Reviewers").delete()
    _groups.revoke(apps, "Editors", "articles", EDITORS)


class Migration(migrations.Migration):
    dependencies = [("articles", "0019_drafts_and_review")]

    operations = [migrations.RunPython(grant, revoke)]
