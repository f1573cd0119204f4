from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from .models import Section


class UpdatesFeed(Feed):
    """Sections as they are published and updated, newest first (Atom)."""

    feed_type = Atom1Feed
    title = "Night Cramps: updates"
    subtitle = "Sections of Night Cramps as they are published or updated."
    author_name = "Night Cramps editors"

    # Links are made absolute from the request here, so the feed needs no configured domain
    # (the syndication framework would otherwise use the sites framework's placeholder).
    def get_object(self, request, *args, **kwargs):
        return request

    def link(self, request):
        return request.build_absolute_uri(reverse("articles:home"))

    def feed_url(self, request):
        # Not the request's own address: its query string would be kept in the cached feed.
        return request.build_absolute_uri(reverse("articles:feed"))

    def items(self, request):
        sections = Section.objects.published().select_related("article").order_by("-updated")
        sections = list(sections[:50])
        for section in sections:
            section.absolute_url = request.build_absolute_uri(section.get_absolute_url())
        return sections

    def item_title(self, section):
        return f"{section.display_heading} ({section.get_kind_display()}, {section.article.title})"

    def item_description(self, section):
        # Atom's <summary type="html">: the plain-text description, escaped as HTML, so
        # "<script>" quoted in a section stays words in a feed reader.
        return escape(section.description)

    def item_link(self, section):
        return section.absolute_url

    def item_updateddate(self, section):
        return section.updated

    def item_pubdate(self, section):
        return section.created

    def item_author_name(self, section):
        return section.article.publisher
