"""Public reading pages, and the staff-only preview of drafts.

Each page costs a fixed, small number of queries (pinned in tests), and readers get it from
the page cache (articles/cache.py) until an editor saves something.
"""

from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from . import reading
from .cache import public_page
from .models import Kind, PageText
from .search import MAX_QUERY_LENGTH, terms
from .search import search as search_sections
from .seo import breadcrumb_trail


def staff_preview(view):
    """The view with drafts included, for logged-in staff only; 404 for everyone else."""

    @wraps(view)
    def preview(request, *args, **kwargs):
        if not (request.user.is_active and request.user.is_staff):
            raise Http404
        return view(request, *args, preview=True, **kwargs)

    return preview


def page_text(key):
    return PageText.objects.filter(key=key).first()


def last_changed(*items):
    """When the text of a page showing these items last changed ("Last updated")."""
    return max((item.text_changed for item in items if item is not None), default=None)


@public_page
def home(request):
    return render(
        request,
        "articles/home.html",
        {"articles": reading.articles(), "box": page_text(PageText.Key.DURING_A_CRAMP)},
    )


@public_page
def topic(request, kind):
    kind = Kind(kind)
    sections = reading.with_articles(reading.topic_sections(kind), reading.articles())
    box = page_text(PageText.Key.DURING_A_CRAMP) if kind == Kind.RELIEF else None
    return render(
        request,
        "articles/topic.html",
        {
            "kind": kind,
            "sections": sections,
            "box": box,
            "changed": last_changed(box, *sections),
            "trail": breadcrumb_trail(kind=kind),
        },
    )


@public_page
def article_detail(request, article, preview=False):
    article = reading.one_or_404(reading.article(article, preview))
    sections = reading.with_articles(reading.article_sections(article.pk, preview), [article])
    return render(
        request,
        "articles/article.html",
        {
            "article": article,
            "sections": sections,
            "changed": last_changed(article, *sections),
            "preview": preview,
            "trail": breadcrumb_trail(article=article),
        },
    )


@public_page
def section_detail(request, article, section, preview=False):
    article = reading.one_or_404(reading.article(article, preview))
    section = reading.one_or_404(reading.section(article.pk, section, preview))
    section.article = article
    return render(
        request,
        "articles/section.html",
        {
            "section": section,
            "article": article,
            "siblings": reading.section_links(article.pk, preview),
            "changed": last_changed(article, section),
            "preview": preview,
            "trail": breadcrumb_trail(article=article, section=section),
        },
    )


@public_page
def source(request, article, preview=False):
    article = reading.one_or_404(reading.article(article, preview))
    trail = breadcrumb_trail(article=article, source=True)
    return render(
        request,
        "articles/source.html",
        {"article": article, "preview": preview, "trail": trail},
    )


@public_page
def about(request):
    return render(
        request,
        "articles/about.html",
        {
            "articles": reading.articles(),
            "text": page_text(PageText.Key.ABOUT),
            "contact_email": settings.CONTACT_EMAIL,
        },
    )


def search(request):
    """Not cached: every query is its own page, and results must follow editors' saves."""
    query = request.GET.get("q", "").strip()
    too_long = len(query) > MAX_QUERY_LENGTH
    results = search_sections(query) if query else []
    return render(
        request,
        "articles/search.html",
        {"query": query, "results": results, "too_long": too_long, "has_words": bool(terms(query))},
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
