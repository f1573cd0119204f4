from django.urls import path, re_path

from . import views
from .models import Kind

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    re_path(rf"^(?P<kind>{'|'.join(Kind.values)})/$", views.topic, name="topic"),
    path("articles/<slug:article>/", views.article_detail, name="article"),
    # "source" is a reserved section slug (see Section.slug) so this never shadows a section.
    path("articles/<slug:article>/source/", views.source, name="source"),
    path("articles/<slug:article>/<slug:section>/", views.section_detail, name="section"),
]
