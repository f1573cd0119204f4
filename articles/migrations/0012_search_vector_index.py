"""PostgreSQL: the full-text index over the vector the ORM's search builds
(SearchVector("heading", "text"), articles/search.py), in place of migration 0006's index
over hand-written SQL. SQLite keeps its FTS5 table."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX = "articles_searchentry_fts"


def vector_index():
    return GinIndex(SearchVector("heading", "text", config="english"), name=INDEX)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.add_index(apps.get_model("articles", "SearchEntry"), vector_index())


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON articles_searchentry "
            "USING GIN (to_tsvector('english', heading || ' ' || text))"
        )


class Migration(migrations.Migration):
    dependencies = [("articles", "0011_remove_section_path")]

    operations = [migrations.RunPython(forwards, backwards)]
