import pytest
from django.contrib.auth import get_user_model

from articles.content import load_content
from articles.models import Article, Kind, Section


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def content(db):
    """The shipped content, loaded as `make run` loads it."""
    load_content()
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
