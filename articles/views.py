"""Public reading pages. Each costs a fixed, small number of queries (pinned in tests)."""

from django.shortcuts import get_object_or_404, render

from .models import Article, Kind, Section


def home(request):
    return render(
        request, "articles/home.html", {"articles": Article.objects.all(), "topics": Kind}
    )


def topic(request, kind):
    kind = Kind(kind)
    sections = Section.objects.of_kind(kind)
    return render(request, "articles/topic.html", {"kind": kind, "sections": sections})


def article_detail(request, article):
    article = get_object_or_404(Article.objects.with_sections(), slug=article)
    return render(request, "articles/article.html", {"article": article})


def section_detail(request, article, section):
    section = get_object_or_404(
        Section.objects.select_related("article"), article__slug=article, slug=section
    )
    siblings = section.article.sections.only("heading", "slug", "kind", "article_id")
    return render(
        request,
        "articles/section.html",
        {"section": section, "article": section.article, "siblings": siblings},
    )


def source(request, article):
    article = get_object_or_404(Article, slug=article)
    return render(request, "articles/source.html", {"article": article})
