"""The home page's own words (headline, lead, topic cards, disclaimer) are page texts that
editors change in the admin, which says where each appears; readers see a change at once."""

import re
import shutil
import tomllib

import pytest
from django.contrib.auth import get_user_model
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from articles.loader import CONTENT_DIR, PAGE_TEXTS, load_content
from articles.markdown import paragraph_contents
from articles.models import Article, Kind, PageText
from tests.helpers.admin_forms import change_url, page_text_form

Key = PageText.Key
HOME_KEYS = [Key.HOME, Key.TOPIC_RELIEF, Key.TOPIC_CAUSES, Key.TOPIC_PREVENTION, Key.DISCLAIMER]
LEAD = (
    "Night Cramps brings together what two published articles say about cramps in the calf "
    "and foot at night: how to stop one now, why they happen, and how to keep them from "
    "coming back. The articles are machine translations from Chinese; our editors restate "
    "them in plain English, and every sentence links to the words it comes from."
)
STANDARD_DISCLAIMER = (
    "<p><strong>General information, not a diagnosis.</strong> This site shares what two "
    "published articles say. If you are worried about your cramps, or they keep coming back, "
    "see a doctor. In an emergency, call your local emergency number.</p>"
)


def text(key):
    return PageText.objects.get(key=key)


def h1(response):
    return re.findall(r"<h1\b[^>]*>(.*?)</h1>", response.content.decode(), re.S)


def cards(response):
    """[(address, title, description)] of the home page's topic cards."""
    html = re.search(r'<ul class="cards">(.*?)</ul>', response.content.decode(), re.S)[1]
    return re.findall(r'<a href="([^"]+)"><strong>(.*?)</strong><span>(.*?)</span></a>', html)


def disclaimer(response):
    html = response.content.decode()
    return " ".join(
        re.search(r'<aside class="disclaimer"[^>]*>(.*?)</aside>', html, re.S)[1].split()
    )


@pytest.fixture
def editors_client(client, content, settings, editors_group):
    """Logged in as an editor in the Editors group, not a superuser, on a site that publishes
    without review (tests/test_publishing.py has page texts through review)."""
    settings.PUBLISHING_NEEDS_REVIEW = False
    user = get_user_model().objects.create_user("ed", password="x" * 20, is_staff=True)
    user.groups.add(editors_group)
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestShippedHomeTexts:
    def test_readers_see_the_words_they_saw_before_they_were_editable(self, client, content):
        home = client.get("/")
        assert h1(home) == ["Woken by a calf cramp?"]
        assertContains(home, f'<p class="lead">{LEAD}</p>', html=True)
        # The shipped cards are word for word the topics' own texts, which the topic pages
        # (and a home page missing a card) show.
        assert cards(home) == [(f"/{kind}/", kind.title, kind.question) for kind in Kind]
        assert disclaimer(home) == STANDARD_DISCLAIMER
        assert disclaimer(client.get("/causes/")) == STANDARD_DISCLAIMER

    def test_they_are_the_sites_own_words_one_paragraph_each(self, content):
        for key in HOME_KEYS:
            shipped = text(key)
            assert not shipped.is_cited
            assert "[@" not in shipped.body
            assert paragraph_contents(shipped.body_html) is not None, key
            shipped.full_clean()

    def test_the_relief_page_has_its_cards_title_and_lead(self, client, content):
        relief = client.get("/relief/")
        assert h1(relief) == [Kind.RELIEF.title]
        assertContains(relief, f'<p class="lead">{Kind.RELIEF.question} Each part')


@pytest.mark.django_db
class TestEditingTheHomePage:
    def test_an_editor_changes_the_headline_lead_card_and_disclaimer(self, editors_client, client):
        assert h1(client.get("/")) == ["Woken by a calf cramp?"]  # cached for readers now
        changes = {
            Key.HOME: {"heading": "Cramp in the night?", "body": "What *two* articles say."},
            Key.TOPIC_PREVENTION: {
                "heading": "Keep cramps away",
                "body": "What the sources suggest.",
            },
            Key.DISCLAIMER: {
                "heading": "Not medical advice.",
                "body": "If you are worried, see a doctor.",
            },
        }
        for key, fields in changes.items():
            page_text = text(key)
            response = editors_client.post(
                change_url(page_text), page_text_form(page_text, **fields)
            )
            assertRedirects(response, "/admin/articles/pagetext/")

        home = client.get("/")
        assert h1(home) == ["Cramp in the night?"]
        assertContains(home, '<p class="lead">What <em>two</em> articles say.</p>', html=True)
        assert cards(home)[2] == ("/prevention/", "Keep cramps away", "What the sources suggest.")
        assert disclaimer(home) == (
            "<p><strong>Not medical advice.</strong> If you are worried, see a doctor.</p>"
        )
        assertNotContains(home, "Woken by a calf cramp?")
        # The Prevention page keeps its own title; other pages the standard disclaimer.
        prevention = client.get("/prevention/")
        assert h1(prevention) == [Kind.PREVENTION.title]
        assert disclaimer(prevention) == STANDARD_DISCLAIMER

    def test_the_relief_card_is_also_the_relief_pages_title_and_lead(self, editors_client, client):
        client.get("/relief/")
        card = text(Key.TOPIC_RELIEF)
        fields = {"heading": "Stop a cramp now", "body": "What to do during a cramp."}
        response = editors_client.post(change_url(card), page_text_form(card, **fields))
        assertRedirects(response, "/admin/articles/pagetext/")
        assert cards(client.get("/"))[0] == (
            "/relief/",
            "Stop a cramp now",
            "What to do during a cramp.",
        )
        relief = client.get("/relief/")
        assert h1(relief) == ["Stop a cramp now"]
        assertContains(relief, '<p class="lead">What to do during a cramp. Each part')
        assertContains(relief, "<title>Stop a cramp now | Night Cramps</title>")
        assertContains(relief, '<meta name="description" content="What to do during a cramp.">')
        assertContains(relief, '<a href="/relief/" aria-current="page">Stop a cramp now</a>')
        assertContains(relief, '"name": "Stop a cramp now"')  # the JSON-LD breadcrumb too

    def test_what_is_not_one_paragraph_or_puts_a_link_in_a_card_is_refused(self, editors_client):
        home = text(Key.HOME)
        two = "A first paragraph.\n\nA second one, typed by the editor."
        response = editors_client.post(change_url(home), page_text_form(home, body=two))
        assert response.status_code == 200
        assertContains(response, "This text is shown as one paragraph")
        assertContains(response, "A second one, typed by the editor.")
        assert text(Key.HOME).body == home.body

        card = text(Key.TOPIC_CAUSES)
        linked = "Why, in [the source](/articles/calf-muscle-spasm/source/)."
        response = editors_client.post(change_url(card), page_text_form(card, body=linked))
        assertContains(response, "The card is a link itself")
        assert text(Key.TOPIC_CAUSES).body == card.body

    def test_what_an_editor_types_is_sanitised(self, editors_client, client):
        home = text(Key.HOME)
        body = 'Words <script>alert(1)</script><img src=x onerror="alert(1)">.'
        editors_client.post(change_url(home), page_text_form(home, heading="<b>Hi</b>", body=body))
        page = client.get("/").content.decode()
        assert "<script>alert" not in page and "onerror" not in page
        assert "<h1>&lt;b&gt;Hi&lt;/b&gt;</h1>" in page  # a heading is plain text


@pytest.mark.django_db
class TestTheAdminSaysWhereEachTextAppears:
    def test_the_list(self, editors_client):
        listing = editors_client.get("/admin/articles/pagetext/")
        assertContains(listing, "Where it appears")
        rows = re.findall(
            r'<th class="field-place"><a href="[^"]+">(.*?)</a>', listing.content.decode()
        )
        # In the order readers meet them.
        assert rows == [
            "Home page: headline and lead",
            "“During a cramp” box (home page and Relief page)",
            "Home page: topic card for Relief (also the Relief page&#x27;s title and lead)",
            "Home page: topic card for Causes",
            "Home page: topic card for Prevention",
            "Home page: disclaimer at the foot of the page",
            "About page",
        ]

    @pytest.mark.parametrize(
        ("key", "where", "labels"),
        [
            (Key.HOME, "The top of the home page: the headline", ["Headline", "Lead"]),
            (Key.TOPIC_RELIEF, "The Relief page has the same title", ["Card title", "Card description"]),
            (Key.TOPIC_CAUSES, "The Causes page keeps its own title, “Why night cramps happen”.", ["Card title", "Card description"]),
            (Key.DISCLAIMER, "Other pages show the standard wording", ["Opening words", "Disclaimer"]),
            (Key.DURING_A_CRAMP, "The box that opens the home page and the Relief page.", ["Heading", "Body"]),
        ],
    )  # fmt: skip
    def test_the_change_form(self, editors_client, key, where, labels):
        form = editors_client.get(change_url(text(key)))
        assertContains(form, "Where it appears")
        assertContains(form, where)
        for label in labels:
            assertContains(form, f">{label}:</label>")

    def test_a_reviewer_who_may_only_look_opens_every_text_named_as_for_editors(
        self, client, content, reviewers_group
    ):
        user = get_user_model().objects.create_user("rev", password="x" * 20, is_staff=True)
        user.groups.add(reviewers_group)  # may view page texts, not change them
        client.force_login(user)
        for page_text in PageText.objects.all():
            form = client.get(change_url(page_text))
            assertContains(form, "Where it appears")
            assertNotContains(form, 'name="body"')  # read-only
        form = client.get(change_url(text(Key.HOME)))
        assertContains(form, "<label>Headline:</label>", html=True)
        assertContains(form, "main heading. Plain text.")  # its help
        assertContains(form, "<label>Lead:</label>", html=True)

    def test_the_article_fields_the_home_page_shows_say_so(self, editors_client):
        article = Article.objects.get(slug="calf-muscle-spasm")
        form = editors_client.get(change_url(article)).content.decode()
        for field in ("title", "publisher", "publisher_category", "intro"):
            help_text = re.search(
                rf'<div class="help" id="id_{field}_helptext">(.*?)</div>', form, re.S
            )
            assert help_text and "home page" in help_text[1], field
        assert "“What night cramps are”" in form


@pytest.mark.django_db
class TestMissingTexts:
    def test_the_home_page_works_without_them(self, client, content):
        PageText.objects.filter(key__in=HOME_KEYS).delete()
        home = client.get("/")
        assert home.status_code == 200
        assert h1(home) == ["Night Cramps"]
        assertNotContains(home, 'class="lead"')
        assert cards(home) == [(f"/{kind}/", kind.title, kind.question) for kind in Kind]
        assert disclaimer(home) == STANDARD_DISCLAIMER
        relief = client.get("/relief/")
        assert h1(relief) == [Kind.RELIEF.title]
        assertContains(relief, 'id="during-a-cramp"')

    def test_and_without_any_page_text(self, client, article):
        assert not PageText.objects.exists()
        assert h1(client.get("/")) == ["Night Cramps"]
        assert client.get("/relief/").status_code == 200


@pytest.mark.django_db
class TestLoadingTheHomeTexts:
    def shipped_before(self, tmp_path):
        """The content files as they were before the home page's texts were page texts."""
        folder = tmp_path / "content"
        shutil.copytree(CONTENT_DIR, folder)
        toml = (folder / PAGE_TEXTS).read_text(encoding="utf-8")
        blocks = toml.split("[[texts]]")
        kept = [blocks[0]] + [
            b for b in blocks[1:] if re.search(r'key = "(during-a-cramp|about)"', b)
        ]
        (folder / PAGE_TEXTS).write_text("[[texts]]".join(kept), encoding="utf-8")
        assert len(tomllib.loads((folder / PAGE_TEXTS).read_text())["texts"]) == 2
        return folder

    def test_an_existing_database_gets_them(self, client, db, tmp_path):
        load_content(self.shipped_before(tmp_path))
        assert set(PageText.objects.values_list("key", flat=True)) == {"during-a-cramp", "about"}
        counts = load_content()
        assert counts["page texts created"] == 5
        assert counts["page texts unchanged"] == 2
        assert h1(client.get("/")) == ["Woken by a calf cramp?"]

    def test_an_edited_one_is_never_overwritten(self, editors_client, tmp_path):
        home = text(Key.HOME)
        editors_client.post(change_url(home), page_text_form(home, heading="Cramp in the night?"))
        folder = tmp_path / "content"
        shutil.copytree(CONTENT_DIR, folder)
        toml = (folder / PAGE_TEXTS).read_text(encoding="utf-8")
        (folder / PAGE_TEXTS).write_text(
            toml.replace("Woken by a calf cramp?", "A shipped headline")
        )
        (folder / "page-texts" / "disclaimer.md").write_text("A shipped correction.\n")
        counts = load_content(folder)
        assert counts["page texts kept as edited"] == 1
        assert counts["page texts updated"] == 1
        assert text(Key.HOME).heading == "Cramp in the night?"
        assert text(Key.DISCLAIMER).body == "A shipped correction."
