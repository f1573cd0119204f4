"""The "Editors" group: what editing the content needs, and nothing more.

Editors add and change articles and sections and read their history. They cannot delete
(unpublishing hides content without losing it) or manage users.
"""

from django.db import migrations

from . import _groups

GROUP = "Editors"
PERMISSIONS = [
    "add_article",
    "change_article",
    "view_article",
    "add_section",
    "change_section",
    "view_section",
    "view_historicalarticle",
    "view_historicalsection",
]


def create_group(apps, schema_editor):
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    group.permissions.set(_groups.permissions(apps, "articles", PERMISSIONS))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_editorial_workflow"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
