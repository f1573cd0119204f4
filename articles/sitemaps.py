import functools

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap
from django.db.models import Max
from django.urls import reverse

from .cache import public_page
from .models import Article, Kind, Section


class SiteSitemap(Sitemap):
    """Addresses on the host the sitemap was asked for, so no domain needs configuring (the
    sites framework's Site would otherwise give its placeholder domain)."""

    def __init__(self, domain):
        self.domain = domain

    def get_domain(self, site=None):
        return self.domain


class SectionSitemap(SiteSitemap):
    changefreq = "monthly"

    def items(self):
        # Lists, not querysets: Django's paginator would count them first, a query each.
        sections = Section.objects.published().select_related("article")
        return list(sections.order_by("article", "position"))

    def lastmod(self, section):
        return max(section.updated, section.article.updated)


class ArticleSitemap(SiteSitemap):
    changefreq = "monthly"

    def items(self):
        return list(Article.objects.published())

    def lastmod(self, article):
        return article.updated


class SourceSitemap(ArticleSitemap):
    def location(self, article):
        return article.get_source_url()


class PageSitemap(SiteSitemap):
    """The home page, the topic pages and the about page."""

    def items(self):
        return ["home", *Kind.values, "about"]

    def location(self, name):
        if name in Kind.values:
            return reverse("articles:topic", kwargs={"kind": name})
        return reverse(f"articles:{name}")

    def lastmod(self, name):
        latest = self._latest_by_kind
        if name in Kind.values:
            return latest.get(name)
        return max(latest.values(), default=None)

    @functools.cached_property
    def _latest_by_kind(self):
        """{kind: when a published section of that kind last changed}, in one query."""
        rows = Section.objects.published().values_list("kind").annotate(latest=Max("updated"))
        return dict(rows.order_by())


SITEMAPS = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "sources": SourceSitemap,
}


@public_page
def sitemap_xml(request):
    domain = request.get_host()
    return sitemap(request, {name: cls(domain) for name, cls in SITEMAPS.items()})
