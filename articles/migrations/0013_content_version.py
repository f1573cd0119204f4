"""The content version row (articles/content_version.py), which the page cache checks."""

import secrets

from django.db import migrations, models


def first_version(apps, schema_editor):
    ContentVersion = apps.get_model("articles", "ContentVersion")
    ContentVersion.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"token": secrets.token_hex(8)}
    )


class Migration(migrations.Migration):
    dependencies = [("articles", "0012_search_vector_index")]

    operations = [
        migrations.CreateModel(
            name="ContentVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(first_version, migrations.RunPython.noop),
    ]
