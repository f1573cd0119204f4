"""What the reading pages read, as prepared queries (articles/prepared.py).

Each function returns a list of model instances. Pages that show sections with their article
read the articles separately and join them in Python (with_articles): a prepared query cannot
use select_related(), and two cheap queries cost less than one compiled each time.
`drafts=True` is the staff preview, which shows drafts too.
"""

from django.http import Http404

from .models import Article, Section
from .prepared import prepared


@prepared
def articles(drafts=False):
    """The articles, in order."""
    return Article.objects.visible(drafts)


@prepared
def article(slug, drafts=False):
    """The article with this slug, in a list of one, or an empty list."""
    return Article.objects.visible(drafts).filter(slug=slug)


@prepared
def topic_sections(kind):
    """The published sections of one kind, article by article."""
    return Section.objects.published().of_kind(kind)


@prepared
def article_sections(article_id, drafts=False):
    """An article's sections in order."""
    return Section.objects.visible(drafts).filter(article_id=article_id).order_by("position", "pk")


@prepared
def section(article_id, slug, drafts=False):
    """The article's section with this slug, in a list of one, or an empty list."""
    return Section.objects.visible(drafts).filter(article_id=article_id, slug=slug)


@prepared
def section_links(article_id, drafts=False):
    """An article's sections in order, with only what a link to each needs."""
    return article_sections.queryset(article_id, drafts).only("heading", "plain_heading", "path")


def one_or_404(rows):
    if not rows:
        raise Http404
    return rows[0]


def with_articles(sections, articles):
    """The sections, each given its article from `articles` (no query per section).

    A section whose article is not there is left out: the two were read by two queries, and
    an editor may unpublish or delete the article between them."""
    by_pk = {article.pk: article for article in articles}
    shown = [item for item in sections if item.article_id in by_pk]
    for item in shown:
        item.article = by_pk[item.article_id]
    return shown
