"""The full-text index for search (see articles/search.py), and entries for existing sections.

SQLite: an FTS5 table over articles_searchentry, kept in step by triggers. PostgreSQL: a GIN
index over the expression the search query uses.
"""

from django.db import migrations

from articles.markdown import search_pieces

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE articles_searchentry_fts USING fts5(
        heading, text, content='articles_searchentry', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER articles_searchentry_ai AFTER INSERT ON articles_searchentry BEGIN
        INSERT INTO articles_searchentry_fts(rowid, heading, text)
        VALUES (new.id, new.heading, new.text);
    END""",
    """CREATE TRIGGER articles_searchentry_ad AFTER DELETE ON articles_searchentry BEGIN
        INSERT INTO articles_searchentry_fts(articles_searchentry_fts, rowid, heading, text)
        VALUES ('delete', old.id, old.heading, old.text);
    END""",
    """CREATE TRIGGER articles_searchentry_au AFTER UPDATE ON articles_searchentry BEGIN
        INSERT INTO articles_searchentry_fts(articles_searchentry_fts, rowid, heading, text)
        VALUES ('delete', old.id, old.heading, old.text);
        INSERT INTO articles_searchentry_fts(rowid, heading, text)
        VALUES (new.id, new.heading, new.text);
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS articles_searchentry_au",
    "DROP TRIGGER IF EXISTS articles_searchentry_ad",
    "DROP TRIGGER IF EXISTS articles_searchentry_ai",
    "DROP TABLE IF EXISTS articles_searchentry_fts",
]
POSTGRES_CREATE = [
    """CREATE INDEX articles_searchentry_fts ON articles_searchentry
       USING GIN (to_tsvector('english', heading || ' ' || text))""",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS articles_searchentry_fts"]


def run(schema_editor, statements):
    with schema_editor.connection.cursor() as cursor:
        for statement in statements.get(schema_editor.connection.vendor, []):
            cursor.execute(statement)


def create_index(apps, schema_editor):
    run(schema_editor, {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE})
    # Entries for the sections that exist already (new saves rebuild their own).
    Section = apps.get_model("articles", "Section")
    SearchEntry = apps.get_model("articles", "SearchEntry")
    for section in Section.objects.all():
        SearchEntry.objects.bulk_create(
            SearchEntry(section=section, anchor=anchor, heading=heading, text=text)
            for anchor, heading, text in search_pieces(section.heading, section.standalone_html)
        )


def drop_index(apps, schema_editor):
    apps.get_model("articles", "SearchEntry").objects.all().delete()
    run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})


class Migration(migrations.Migration):
    dependencies = [("articles", "0005_search_entries")]

    operations = [migrations.RunPython(create_index, drop_index)]
