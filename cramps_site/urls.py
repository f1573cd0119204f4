from django.contrib import admin
from django.urls import include, path
from markdownx.views import ImageUploadView, MarkdownifyView

from articles.editor import staff_only

urlpatterns = [
    path("admin/", admin.site.urls),
    # markdownx's own URLs are open to anyone; the editor endpoints are for staff only.
    path(
        "markdownx/markdownify/",
        staff_only(MarkdownifyView.as_view()),
        name="markdownx_markdownify",
    ),
    path("markdownx/upload/", staff_only(ImageUploadView.as_view()), name="markdownx_upload"),
    path("", include("articles.urls")),
]
