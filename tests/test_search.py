"""Search in readers' words (#11): a corpus of queries as people type them, each with the
sections it must find among the first three, on SQLite and PostgreSQL alike; synonyms kept by
editors, misspellings, pinned results, common words and no results."""

import re
import shutil

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from articles.loader import CONTENT_DIR, load_content
from articles.models import PromotedResult, SearchSynonym, Section, Status

SPASM = "/articles/calf-muscle-spasm/"
SLEEP = "/articles/sleeping-foot-cramp/"
CALF_RELIEF, CALF_CAUSES, CALF_PREVENTION = (f"{SPASM}{k}/" for k in ("relief", "causes", "prevention"))  # fmt: skip
FOOT_RELIEF, FOOT_CAUSES, FOOT_PREVENTION = (f"{SLEEP}{k}/" for k in ("relief", "causes", "prevention"))  # fmt: skip
RELIEF = {CALF_RELIEF, FOOT_RELIEF}

# What readers type, and the sections at least one of which (a set: any of them; a tuple:
# all of them) must be among the first three sections the results show.
CORPUS = [
    ("relief", RELIEF),
    ("relieve", RELIEF),
    ("stop", RELIEF),
    ("what to do", RELIEF),
    ("how to stop a cramp", RELIEF),
    ("how do i stop a leg cramp at night", RELIEF),
    ("during a cramp", RELIEF),
    ("ease the pain", RELIEF),
    ("charley horse", RELIEF),
    ("cramp", RELIEF),
    ("cramps", RELIEF),
    ("stretching", RELIEF),
    ("stretch calf", {CALF_RELIEF}),
    ("massage", RELIEF),
    ("hot towel", {CALF_RELIEF}),
    ("pull toes", {FOOT_RELIEF}),
    ("why do i get cramps at night", {CALF_CAUSES, FOOT_CAUSES}),
    ("causes", (CALF_CAUSES, FOOT_CAUSES)),
    ("cramps in calf at night", {CALF_CAUSES, CALF_RELIEF}),
    ("leg cramp pregnant", {CALF_CAUSES}),
    ("pregnancy", {CALF_CAUSES}),
    ("calcium", {CALF_CAUSES, FOOT_CAUSES, CALF_PREVENTION, FOOT_PREVENTION}),
    ("calcuim", {CALF_CAUSES, FOOT_CAUSES, CALF_PREVENTION, FOOT_PREVENTION}),
    ("crmap", RELIEF),
    ("blood clot", {FOOT_CAUSES}),
    ("swollen veins", {CALF_CAUSES, FOOT_CAUSES}),
    ("varicose veins", {CALF_CAUSES, FOOT_CAUSES}),
    ("cold", {CALF_CAUSES, CALF_PREVENTION}),
    ("too cold at night", {CALF_CAUSES, CALF_PREVENTION}),
    ("how to prevent cramps", {CALF_PREVENTION, FOOT_PREVENTION}),
    ("prevention", (CALF_PREVENTION, FOOT_PREVENTION)),
    ("avoid cramps", {CALF_PREVENTION}),
    ("tired muscles", {FOOT_CAUSES, CALF_CAUSES, CALF_PREVENTION}),
    ("period cramps", {FOOT_RELIEF}),
    ("Foot cramp while sleeping?", {FOOT_RELIEF, FOOT_CAUSES}),
]


def search(client, query):
    response = client.get(reverse("articles:search"), {"q": query})
    assert response.status_code == 200
    return response


def result_urls(response):
    listing = re.search(r'<ol class="results">(.*?)</ol>', response.content.decode(), re.S)
    return re.findall(r'<li[^>]*>\s*<a href="([^"]+)">', listing.group(1)) if listing else []


def top_sections(response, count=3):
    """The first `count` distinct sections the results show (a section's subheadings are
    results of their own)."""
    sections = []
    for url in result_urls(response):
        section = url.split("#")[0]
        if section not in sections:
            sections.append(section)
    return sections[:count]


@pytest.mark.django_db
class TestCorpus:
    @pytest.mark.parametrize(("query", "expected"), CORPUS, ids=[q for q, _ in CORPUS])
    def test_finds_the_right_sections(self, client, content, query, expected):
        top = top_sections(search(client, query))
        if isinstance(expected, tuple):
            assert set(expected) <= set(top), top
        else:
            assert set(expected) & set(top), top

    def test_corpus_is_large_enough(self):
        assert len(CORPUS) >= 30

    @pytest.mark.parametrize("query", ["stop", "what to do", "during a cramp", "cramp"])
    def test_queries_about_doing_something_rank_relief_first(self, client, content, query):
        first_two = top_sections(search(client, query), 2)
        assert len(first_two) == 2 and set(first_two) <= RELIEF, first_two


@pytest.mark.django_db
class TestReadersWords:
    def test_plain_english_text_is_indexed_and_shown_highlighted(self, client, content):
        # "Too little calcium in the blood" is the plain-English version's wording only.
        response = search(client, "too little calcium")
        listing = response.content.decode()
        found = re.search(
            rf'<a href="{CALF_CAUSES}">(.*?)</a>\s*<p class="snippet">(.*?)</p>', listing, re.S
        )
        assert found, listing
        heading, snippet = found.groups()
        assert heading == "Why leg cramps happen at night: six reasons"
        # The heading and snippet of the plain-English entry, not the source's.
        assert "<mark>calcium</mark>" in snippet and "(source)" not in snippet

    def test_citations_are_not_indexed(self, client, content):
        assertNotContains(search(client, "source"), "(source)")

    def test_synonyms_editors_add_take_effect(self, client, content):
        assert result_urls(search(client, "nocturnal")) == []
        SearchSynonym.objects.create(term="Nocturnal", meaning="night")
        assert result_urls(search(client, "nocturnal"))
        assert SearchSynonym.objects.filter(term="nocturnal").exists()
        # Stored as a query's words are read: a phrase typed with hyphens still matches.
        SearchSynonym.objects.create(term="Leg-Cramp!", meaning="cramp")
        assert SearchSynonym.objects.filter(term="leg cramp").exists()

    def test_misspelling_gets_did_you_mean(self, client, content):
        response = search(client, "calcuim deficiency")
        assertContains(
            response,
            'Did you mean <a href="?q=calcium%20deficiency">calcium deficiency</a>?',
            html=True,
        )
        assert result_urls(response)

    def test_correct_words_get_no_did_you_mean(self, client, content):
        assertNotContains(search(client, "stretching calves"), "Did you mean")

    @pytest.mark.parametrize("query", ["a", "the", "How to", "what is it?"])
    def test_common_words_only_get_guidance(self, client, content, query):
        response = search(client, query)
        assert result_urls(response) == []
        assertContains(response, "has only common words")
        assertContains(response, '<a href="?q=stretch">stretch</a>', html=True)

    def test_single_letters_are_not_searched_for(self, client, content):
        # As a prefix, "d" matches nearly every section.
        vitamin = result_urls(search(client, "vitamin"))
        assert vitamin and result_urls(search(client, "vitamin d")) == vitamin

    @pytest.mark.parametrize("query", ["d", "x y z", "how to d", "5"])
    def test_single_letters_only_get_guidance(self, client, content, query):
        response = search(client, query)
        assert result_urls(response) == []
        assertContains(response, "has only common words or single letters")
        assertContains(response, '<a href="?q=stretch">stretch</a>', html=True)

    def test_no_results_suggest_the_topics_and_the_box(self, client, content):
        response = search(client, "xylophone")
        assertContains(response, "Nothing matches “xylophone”")
        assertContains(response, 'href="/relief/#during-a-cramp"')
        for kind in ("relief", "causes", "prevention"):
            assertContains(response, f'href="/{kind}/"')

    def test_loader_keeps_an_editors_synonym(self, content):
        synonym = SearchSynonym.objects.get(term="charley horse")
        synonym.meaning = "cramp spasm"
        synonym.save()
        load_content()
        assert SearchSynonym.objects.get(term="charley horse").meaning == "cramp spasm"


@pytest.mark.django_db
class TestPinnedResults:
    def test_pinned_section_comes_first_and_is_marked(self, client, content):
        prevention = Section.objects.get(article__slug="sleeping-foot-cramp", slug="prevention")
        PromotedResult.objects.create(query="  What to DO? ", section=prevention)
        response = search(client, "what to do")
        assert result_urls(response)[0] == FOOT_PREVENTION
        assert result_urls(response).count(FOOT_PREVENTION) == 1
        assertContains(response, "Pinned for this search by our editors", count=1)
        assertNotContains(search(client, "what to do now"), "Pinned for this search")

    def test_pinned_draft_is_not_shown(self, client, content):
        section = Section.objects.get(article__slug="sleeping-foot-cramp", slug="prevention")
        PromotedResult.objects.create(query="what to do", section=section)
        section.status = Status.DRAFT
        section.save()
        response = search(client, "what to do")
        assertNotContains(response, "Pinned for this search")
        assert FOOT_PREVENTION not in result_urls(response)


def content_shipping(tmp_path, term, meaning):
    """A copy of the shipped content whose synonyms also have `term` (a later release)."""
    content_dir = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content_dir)
    shipped = content_dir / "search-synonyms.toml"
    synonym = f'synonyms = [\n  {{ term = "{term}", meaning = "{meaning}" }},'
    shipped.write_text(
        shipped.read_text(encoding="utf-8").replace("synonyms = [", synonym), encoding="utf-8"
    )
    return content_dir


@pytest.mark.django_db
class TestEditorsKeepThem:
    def test_editors_group_may_keep_synonyms_and_pins(self, editors_group):
        codenames = set(editors_group.permissions.values_list("codename", flat=True))
        for model in ("searchsynonym", "promotedresult"):
            assert {f"{action}_{model}" for action in ("add", "change", "delete", "view")} <= (
                codenames
            )

    def test_pin_a_section_in_the_admin(self, editor_client, content):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="prevention")
        response = editor_client.post(
            reverse("admin:articles_promotedresult_add"),
            {"query": "Night!", "section": section.pk, "order": 0},
        )
        assert response.status_code == 302
        assert PromotedResult.objects.get().query == "night"
        editor_client.logout()
        assert result_urls(search(editor_client, "night"))[0] == CALF_PREVENTION

    def test_synonym_list_in_the_admin(self, editor_client, content):
        response = editor_client.get(reverse("admin:articles_searchsynonym_changelist"))
        assertContains(response, "charley horse")

    @pytest.fixture
    def group_editor(self, client, editors_group):
        """Logged in as a member of the Editors group (not a superuser)."""
        user = get_user_model().objects.create_user("ed", password="x" * 20, is_staff=True)
        user.groups.add(editors_group)
        client.force_login(user)
        return user

    @pytest.mark.parametrize(("existing", "typed"), [("avoid", "AVOID"), ("qa word", "qa  word!")])
    def test_a_synonym_for_a_term_that_has_one_is_refused_keeping_what_was_typed(
        self, client, group_editor, content, existing, typed
    ):
        add = reverse("admin:articles_searchsynonym_add")
        if not SearchSynonym.objects.filter(term=existing).exists():
            client.post(add, {"term": existing, "meaning": "question answer"})
        meaning = SearchSynonym.objects.get(term=existing).meaning
        response = client.post(add, {"term": typed, "meaning": "steer clear"})
        assertContains(response, "Search synonym with this Term already exists.")
        assertContains(response, f'value="{typed}"')
        assertContains(response, "steer clear")
        assert SearchSynonym.objects.get(term=existing).meaning == meaning

    def test_a_synonym_or_pin_with_no_words_is_refused(self, client, group_editor, content):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        synonyms, pins = SearchSynonym.objects.count(), PromotedResult.objects.count()
        response = client.post(
            reverse("admin:articles_searchsynonym_add"), {"term": "!!!", "meaning": "cramp"}
        )
        assertContains(response, "Type at least one word")
        response = client.post(
            reverse("admin:articles_promotedresult_add"),
            {"query": "?", "section": section.pk, "order": 0},
        )
        assertContains(response, "Type at least one word")
        assert (SearchSynonym.objects.count(), PromotedResult.objects.count()) == (synonyms, pins)

    def test_a_section_pinned_for_the_same_search_once_normalised_is_refused(
        self, client, group_editor, content
    ):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        add = reverse("admin:articles_promotedresult_add")
        client.post(add, {"query": "what to do", "section": section.pk, "order": 0})
        response = client.post(add, {"query": "What to do?", "section": section.pk, "order": 1})
        assertContains(response, "This section is already pinned for this search.")
        assertContains(response, 'value="What to do?"')
        assert list(PromotedResult.objects.values_list("query", flat=True)) == ["what to do"]

    def test_a_shipped_synonym_an_editor_deletes_stays_deleted(self, client, group_editor, content):
        synonym = SearchSynonym.objects.get(term="charley horse")
        response = client.post(
            reverse("admin:articles_searchsynonym_delete", args=[synonym.pk]), {"post": "yes"}
        )
        assert response.status_code == 302
        counts = load_content()  # as every deploy runs it
        assert not SearchSynonym.objects.filter(term="charley horse").exists()
        assert counts["search synonyms kept as removed"] == 1

    def test_a_shipped_synonym_an_editor_renames_is_not_loaded_again(
        self, client, group_editor, content
    ):
        synonym = SearchSynonym.objects.get(term="charley horse")
        response = client.post(
            reverse("admin:articles_searchsynonym_change", args=[synonym.pk]),
            {"term": "horse cramp", "meaning": synonym.meaning},
        )
        assert response.status_code == 302
        load_content()
        assert not SearchSynonym.objects.filter(term="charley horse").exists()
        assert SearchSynonym.objects.filter(term="horse cramp").exists()
        # Who changed it, in the synonym's history.
        history = client.get(reverse("admin:articles_searchsynonym_history", args=[synonym.pk]))
        assertContains(history, "horse cramp")
        assertContains(history, group_editor.username)

    def test_who_may_only_look_cannot_revert_a_synonym(self, client, content):
        synonym = SearchSynonym.objects.get(term="charley horse")
        synonym.meaning = "cramp spasm"
        synonym.save()
        first = synonym.history.earliest()
        user = get_user_model().objects.create_user("looker", password="x" * 20, is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="view_searchsynonym"))
        client.force_login(user)
        revert = reverse(
            "admin:articles_searchsynonym_simple_history", args=[synonym.pk, first.history_id]
        )
        assert (
            client.post(revert, {"term": first.term, "meaning": first.meaning}).status_code == 403
        )
        assert SearchSynonym.objects.get(pk=synonym.pk).meaning == "cramp spasm"

    def test_synonyms_there_before_they_had_a_history_count_as_shipped_only_if_shipped(
        self, content, tmp_path
    ):
        """Migration 0024 recorded the synonyms it found, editors' own among them."""
        SearchSynonym.objects.create(term="night pain", meaning="cramp")  # an editor's
        SearchSynonym.history.update(history_change_reason="Recorded when synonyms got a history")
        SearchSynonym.objects.filter(term__in=["night pain", "charley horse"]).delete()
        load_content(content_shipping(tmp_path, "night pain", "cramp spasm"))
        assert SearchSynonym.objects.get(term="night pain").meaning == "cramp spasm"
        assert not SearchSynonym.objects.filter(term="charley horse").exists()

    def test_an_editors_own_deleted_synonym_does_not_block_a_shipped_one(
        self, client, group_editor, content, tmp_path
    ):
        client.post(
            reverse("admin:articles_searchsynonym_add"), {"term": "night pain", "meaning": "cramp"}
        )
        SearchSynonym.objects.get(term="night pain").delete()
        # A release that ships the same term.
        load_content(content_shipping(tmp_path, "night pain", "cramp spasm"))
        assert SearchSynonym.objects.get(term="night pain").meaning == "cramp spasm"
