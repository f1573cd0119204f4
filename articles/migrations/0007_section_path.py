"""Each section stores its address (Section.path); fill it in for the sections already there."""

from django.db import migrations, models
from django.urls import reverse


def fill_paths(apps, schema_editor):
    Section = apps.get_model("articles", "Section")
    sections = list(Section.objects.select_related("article").only("slug", "article__slug"))
    for section in sections:
        section.path = reverse(
            "articles:section", kwargs={"article": section.article.slug, "section": section.slug}
        )
    Section.objects.bulk_update(sections, ["path"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0006_search_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="section",
            name="path",
            field=models.CharField(default="", editable=False, max_length=300),
        ),
        migrations.RunPython(fill_paths, migrations.RunPython.noop),
    ]
