"""Public reading pages, and the staff-only preview of drafts.

Each page reads what it shows through the models' QuerySets in a fixed, small number of
queries (pinned in tests), and readers get it from the page cache (articles/cache.py) until
an editor saves something.
"""

from functools import wraps
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from . import publishing
from .cache import public_page
from .models import Article, Kind, PageText, PreviewLink, Section
from .search import MAX_QUERY_LENGTH, clean_query, terms
from .search import search as search_sections
from .seo import breadcrumb_trail


def staff_preview(view):
    """The view with drafts included, for logged-in staff only; 404 for everyone else."""

    @wraps(view)
    def preview(request, *args, **kwargs):
        # Staff who may see the content in the admin (editors, reviewers); 404 for others.
        if not (request.user.is_staff and request.user.has_perm("articles.view_section")):
            raise Http404
        return view(request, *args, preview=True, **kwargs)

    return preview


def page_texts(*keys, drafts=False):
    """{key: PageText} of those the database has, in one query; a missing one is left out,
    and the page shows its fallback instead. With drafts, as they will be once published."""
    texts = {text.key: text for text in PageText.objects.filter(key__in=keys)}
    if drafts:
        texts = {key: publishing.with_draft(text) for key, text in texts.items()}
    return texts


def sections_with_drafts(**fields):
    """For the staff preview: the sections, drafts included, that will have these field
    values once their open changes are published. A change may move a section to another
    topic or article, or give it another slug, so every section with one is read, whatever
    its values now."""
    changes = publishing.open_changes(Section)
    sections = Section.objects.filter(Q(**fields) | Q(pk__in=changes)).select_related("article")
    drafted = (
        publishing.apply(section, changes[section.pk]) if section.pk in changes else section
        for section in sections
    )
    return [s for s in drafted if all(getattr(s, name) == v for name, v in fields.items())]


class TopicText(NamedTuple):
    """A topic's title and one-line description, as HTML in a page and as text for meta tags."""

    title: str
    description: str
    summary: str


def topic_text(kind, card):
    """The topic's card on the home page, which editors write; the topic's own text when the
    card is missing."""
    if card is None:
        return TopicText(kind.title, kind.question, kind.question)
    return TopicText(card.heading, card.paragraph_html, card.summary)


def last_changed(*items):
    """When the text of a page showing these items last changed ("Last updated")."""
    return max((item.text_changed for item in items if item is not None), default=None)


def page_review(*items):
    """The review readers see for a page showing these items ("Page last reviewed"): the
    oldest of their reviews, or None when any of them has none."""
    if not items or not all(item.is_reviewed for item in items):
        return None
    return min(items, key=lambda item: item.last_reviewed)


# What the home page shows from the editors (PageText), read in one query.
HOME_TEXTS = (
    PageText.Key.HOME,
    PageText.Key.DURING_A_CRAMP,
    PageText.Key.DISCLAIMER,
    *PageText.TOPIC_CARDS.values(),
)


@public_page
def home(request, preview=False):
    return home_page(request, page_texts(*HOME_TEXTS, drafts=preview), preview=preview)


def home_page(request, texts, **context):
    cards = PageText.TOPIC_CARDS
    return render(
        request,
        "articles/home.html",
        {
            "articles": Article.objects.published(),
            "home": texts.get(PageText.Key.HOME),
            "box": texts.get(PageText.Key.DURING_A_CRAMP),
            "topics": [(kind, topic_text(kind, texts.get(cards[kind]))) for kind in Kind],
            "disclaimer": texts.get(PageText.Key.DISCLAIMER),
            **context,
        },
    )


@public_page
def topic(request, kind, preview=False):
    kind = Kind(kind)
    if preview:  # in the order of_kind gives: by article, then position
        sections = sorted(
            sections_with_drafts(kind=kind), key=lambda s: (s.article_id, s.position, s.pk)
        )
    else:
        sections = list(Section.objects.published().of_kind(kind).select_related("article"))
    # /relief/ reads its box anyway, so its title and lead follow its card on the home page in
    # the same query; the other topics keep their own (a query more per page otherwise).
    box = card = None
    if kind == Kind.RELIEF:
        texts = page_texts(PageText.Key.DURING_A_CRAMP, PageText.TOPIC_CARDS[kind], drafts=preview)
        box, card = texts.get(PageText.Key.DURING_A_CRAMP), texts.get(PageText.TOPIC_CARDS[kind])
    text = topic_text(kind, card)
    return render(
        request,
        "articles/topic.html",
        {
            "kind": kind,
            "sections": sections,
            "box": box,
            "lead": text.description,
            "changed": last_changed(box, card, *sections),
            "trail": breadcrumb_trail(kind=kind, kind_title=text.title),
            "title": text.title,
            "description": text.summary,
            "preview": preview,
        },
    )


@public_page
def article_detail(request, article, preview=False):
    if preview:  # its sections where their drafts put them: a change may move one in or out
        article = publishing.with_draft(get_object_or_404(Article, slug=article))
        sections = sorted(
            sections_with_drafts(article_id=article.pk), key=lambda s: (s.position, s.pk)
        )
        return article_page(request, article, sections, preview=True)
    # The sections with their article in one query; the article alone when it shows none.
    sections = list(
        Section.objects.published()
        .filter(article__slug=article)
        .select_related("article")
        .order_by("position", "pk")
    )
    if sections:
        article = sections[0].article
    else:
        article = get_object_or_404(Article.objects.published(), slug=article)
    return article_page(request, article, sections)


def article_page(request, article, sections, **context):
    return render(
        request,
        "articles/article.html",
        {
            "article": article,
            "sections": sections,
            "changed": last_changed(article, *sections),
            "review": page_review(article, *sections),
            "trail": breadcrumb_trail(article=article),
            "title": article.title,
            "description": article.description,
            "og_type": "article",
            "published": article.created,
            **context,
        },
    )


@public_page
def section_detail(request, article, section, preview=False):
    if preview:  # at the article and slug its draft gives it
        article = get_object_or_404(Article, slug=article)
        found = sections_with_drafts(article_id=article.pk, slug=section)
        if not found:
            raise Http404
        return section_page(request, found[0], drafts=True, preview=True)
    section = get_object_or_404(
        Section.objects.published().select_related("article"),
        article__slug=article,
        slug=section,
    )
    return section_page(request, section)


def section_page(request, section, drafts=False, **context):
    """The section's page; with drafts, its unpublished sister sections are listed too."""
    article = section.article
    siblings = (
        Section.objects.visible(drafts)
        .filter(article=article)
        .exclude(pk=section.pk)
        .select_related("article")
        .only("slug", "heading", "plain_heading", "article__slug")
        .order_by("position", "pk")
    )
    return render(
        request,
        "articles/section.html",
        {
            "section": section,
            "article": article,
            "siblings": siblings,
            "changed": last_changed(article, section),
            "review": page_review(section),
            "trail": breadcrumb_trail(article=article, section=section),
            "title": f"{section.display_heading} – {article.title}",
            "description": section.share_summary,
            "share_title": section.share_heading,
            "og_type": "article",
            "published": section.created,
            **context,
        },
    )


@never_cache
def preview_link(request, token):
    """A page's draft for someone without an account, by a link an editor made: never cached,
    never indexed, 404 once it expires or is revoked."""
    link = get_object_or_404(PreviewLink, token=token)
    page = link.page if link.is_usable else None
    if page is None:
        raise Http404("This preview link has expired or was revoked.")
    page = publishing.with_draft(page)
    context = {"preview": True, "preview_link": link}
    if isinstance(page, Section):
        response = section_page(request, page, **context)
    elif isinstance(page, Article):  # the article's draft, with its published sections
        sections = list(page.sections.published().order_by("position", "pk"))
        response = article_page(request, page, sections, **context)
    elif page.key == PageText.Key.ABOUT:
        response = about_page(request, page, **context)
    else:  # shown on the home page, beside the live texts
        response = home_page(request, page_texts(*HOME_TEXTS) | {page.key: page}, **context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@public_page
def source(request, article, preview=False):
    article = get_object_or_404(Article.objects.visible(preview), slug=article)
    return render(
        request,
        "articles/source.html",
        {
            "article": article,
            "preview": preview,
            "trail": breadcrumb_trail(article=article, source=True),
            "title": f"Source text: {article.source_title}",
            "description": "The source article word for word, as published by "
            f"{article.publisher}.",
            "og_type": "article",
        },
    )


@public_page
def about(request, preview=False):
    text = page_texts(PageText.Key.ABOUT, drafts=preview).get(PageText.Key.ABOUT)
    return about_page(request, text, preview=preview)


def about_page(request, text, **context):
    return render(
        request,
        "articles/about.html",
        {
            "articles": Article.objects.published(),
            "text": text,
            "contact_email": settings.CONTACT_EMAIL,
            "title": "About this site",
            "description": "Who runs Night Cramps, where its content comes from, how it is "
            "chosen and reviewed, and how to report a mistake.",
            **context,
        },
    )


def search(request):
    """Not cached: every query is its own page, and results must follow editors' saves."""
    query = clean_query(request.GET.get("q", ""))
    too_long = len(query) > MAX_QUERY_LENGTH
    outcome = search_sections(query)
    return render(
        request,
        "articles/search.html",
        {
            "query": query,
            "results": outcome.results,
            "promoted": outcome.promoted,
            "total": len(outcome.results) + len(outcome.promoted),
            "suggestion": outcome.suggestion,
            "only_common_words": outcome.only_common_words,
            "too_long": too_long,
            "has_words": bool(terms(query)),
        },
    )


@public_page
def robots_txt(request):
    sitemap_url = request.build_absolute_uri(reverse("articles:sitemap"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /markdownx/",
        "Disallow: /search/",
        f"Sitemap: {sitemap_url}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
