from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from . import feedback, views
from .cache import public_page
from .feeds import UpdatesFeed
from .models import Kind
from .sitemaps import sitemap_xml

app_name = "articles"


def read_only(view):
    """GET and HEAD only: any other method gets 405 with Allow. These pages take no form, so
    the CSRF check, which would answer 403 first, has nothing to protect."""
    return csrf_exempt(require_safe(view))


urlpatterns = [
    path("", read_only(views.home), name="home"),
    path("about/", read_only(views.about), name="about"),
    path("search/", read_only(views.search), name="search"),
    # A form: CSRF-protected, never cached (articles/feedback.py).
    path("feedback/", feedback.report, name="feedback"),
    path("feedback/thanks/", feedback.thanks, name="feedback_thanks"),
    path("feed/", read_only(public_page(UpdatesFeed())), name="feed"),
    path("sitemap.xml", read_only(sitemap_xml), name="sitemap"),
    path("robots.txt", read_only(views.robots_txt), name="robots"),
    re_path(rf"^(?P<kind>{'|'.join(Kind.values)})/$", read_only(views.topic), name="topic"),
    path("articles/<slug:article>/", read_only(views.article_detail), name="article"),
    # "source" is a reserved section slug (see Section.slug) so this never shadows a section.
    path("articles/<slug:article>/source/", read_only(views.source), name="source"),
    path(
        "articles/<slug:article>/<slug:section>/", read_only(views.section_detail), name="section"
    ),
    # One page's draft for someone without an account, by an editor's link (never cached).
    path("preview/link/<str:token>/", read_only(views.preview_link), name="preview_link"),
    # Drafts exactly as readers will see them once published; staff only, 404 for others.
    path("preview/", read_only(views.staff_preview(views.home)), name="preview_home"),
    path("preview/about/", read_only(views.staff_preview(views.about)), name="preview_about"),
    re_path(
        rf"^preview/(?P<kind>{'|'.join(Kind.values)})/$",
        read_only(views.staff_preview(views.topic)),
        name="preview_topic",
    ),
    path(
        "preview/articles/<slug:article>/",
        read_only(views.staff_preview(views.article_detail)),
        name="preview_article",
    ),
    path(
        "preview/articles/<slug:article>/source/",
        read_only(views.staff_preview(views.source)),
        name="preview_source",
    ),
    path(
        "preview/articles/<slug:article>/<slug:section>/",
        read_only(views.staff_preview(views.section_detail)),
        name="preview_section",
    ),
]
