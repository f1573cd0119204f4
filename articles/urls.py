from django.urls import path, re_path

from . import views
from .feeds import UpdatesFeed
from .models import Kind
from .sitemaps import sitemap_xml

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("search/", views.search, name="search"),
    path("feed/", UpdatesFeed(), name="feed"),
    path("sitemap.xml", sitemap_xml, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
    re_path(rf"^(?P<kind>{'|'.join(Kind.values)})/$", views.topic, name="topic"),
    path("articles/<slug:article>/", views.article_detail, name="article"),
    # "source" is a reserved section slug (see Section.slug) so this never shadows a section.
    path("articles/<slug:article>/source/", views.source, name="source"),
    path("articles/<slug:article>/<slug:section>/", views.section_detail, name="section"),
    # Drafts exactly as readers will see them once published; staff only, 404 for others.
    path(
        "preview/articles/<slug:article>/",
        views.staff_preview(views.article_detail),
        name="preview_article",
    ),
    path(
        "preview/articles/<slug:article>/source/",
        views.staff_preview(views.source),
        name="preview_source",
    ),
    path(
        "preview/articles/<slug:article>/<slug:section>/",
        views.staff_preview(views.section_detail),
        name="preview_section",
    ),
]
