from itertools import groupby
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import serializers
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

from articles import cache as page_cache
from articles.loader import load_content
from articles.models import Article, Kind, Section, Status

BROWSER_TESTS = Path(__file__).parent / "browser"
# Module fixtures that start gunicorn, nginx, redis-server or PostgreSQL (test_serving.py,
# test_security.py, test_front.py).
SERVER_FIXTURES = {
    "site",
    "server",
    "redis_url",
    "nginx_in_front",
    "front",
    "front_on_postgres",
    "redis_server",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Mark the slow kinds (markers in pyproject.toml) before `-m` selects: every test under
    tests/browser/ is `browser`, every test using a fixture in SERVER_FIXTURES is `server`."""
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS):
            item.add_marker(pytest.mark.browser)
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests use a file, as the site does: threads and servers then share it. (Under
    pytest-xdist each worker has its own: the file here, a suffixed name on PostgreSQL.)"""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["TEST"]["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


# The Editors' and Reviewers' groups' permissions as the migrations make them, noted once the
# test database is ready: a live-server test empties the database when it ends, and nothing
# migrates again.
GROUPS = ("Editors", "Reviewers")
_GROUP_PERMISSIONS = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, and a note of the groups (see editors_group)."""
    with django_db_blocker.unblock():
        for name in GROUPS:
            _GROUP_PERMISSIONS[name] = [
                permission.natural_key()
                for permission in Permission.objects.filter(group__name=name)
            ]


def group_as_migrated(name):
    """The group as the migrations make it, made again if a test emptied the database."""
    assert _GROUP_PERMISSIONS.get(name), f"the migrations made no {name} group"
    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.set(
        Permission.objects.get_by_natural_key(*key) for key in _GROUP_PERMISSIONS[name]
    )
    return group


@pytest.fixture
def editors_group(db):
    return group_as_migrated("Editors")


@pytest.fixture
def reviewers_group(db):
    return group_as_migrated("Reviewers")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Tests render templates without running collectstatic first. An empty STATIC_ROOT of
    # their own: WhiteNoise reads the whole of STATIC_ROOT each time a test client starts,
    # and `make run` leaves hundreds of files in the checkout's (servers collect their own).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_page_cache(settings):
    """Each test starts with an empty page cache of its own (articles/cache.py)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    cache.clear()
    page_cache.reset()


@pytest.fixture(scope="session")
def shipped_content(django_db_setup, django_db_blocker, tmp_path_factory):
    """What `load_content` (as `make run` runs it) puts in an empty database, as a Django
    fixture file: made once per run (per xdist worker), since rendering the articles'
    Markdown is most of what a test with content would otherwise spend.
    tests/test_content.py tests the loader itself, and that this copy holds what it makes."""
    path = tmp_path_factory.mktemp("content") / "shipped.json"
    with django_db_blocker.unblock(), transaction.atomic():
        load_content()
        # Every row the loader writes (history and search entries included), not the content
        # version, which is the database's own.
        call_command(
            "dumpdata", "articles", exclude=["articles.contentversion"], output=path, verbosity=0
        )
        transaction.set_rollback(True)
    return path


@pytest.fixture(scope="session")
def shipped_rows(shipped_content):
    """The file's rows by model, in its order (dumpdata sorts models by their dependencies)."""
    objects = (row.object for row in serializers.deserialize("json", shipped_content.read_text()))
    return [(model, list(rows)) for model, rows in groupby(objects, key=type)]


@pytest.fixture
def content(db, shipped_rows):
    """The shipped content, as `make run` loads it (see shipped_content). Inserted a model at
    a time (loaddata, which saves row by row with its signals, took most of a test's time);
    then the id sequences are moved past them, as loaddata does."""
    for model, rows in shipped_rows:
        model._base_manager.bulk_create(rows)
    models = [model for model, _ in shipped_rows]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    return Article.objects.order_by("pk")


@pytest.fixture
def article(db):
    return Article.objects.create(
        title="Test article",
        slug="test-article",
        publisher="Test publisher",
        source_title="Test article as published",
        source_text="First paragraph.\n\nSecond paragraph.",
        intro="An introduction.",
        status=Status.PUBLISHED,
    )


@pytest.fixture
def make_section(article):
    def make(**fields):
        position = fields.pop("position", article.sections.count() + 1)
        values = {
            "article": article,
            "kind": Kind.CAUSES,
            "heading": f"Heading {position}",
            "slug": f"section-{position}",
            "body": f"### Sub {position} {{#sub-{position}}}\n\nBody text {position}.",
            "position": position,
            "status": Status.PUBLISHED,
        }
        values.update(fields)
        return Section.objects.create(**values)

    return make


@pytest.fixture
def editor(db):
    return get_user_model().objects.create_user(
        "editor", "editor@example.com", "a long editor password", is_staff=True, is_superuser=True
    )


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client
