from django.contrib import admin
from django.urls import include, path, re_path
from markdownx.views import MarkdownifyView

from articles import share_images
from articles.editor import SafeImageUploadView, serve_upload, staff_only
from articles.urls import read_only

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    # markdownx's own URLs are open to anyone; the editor endpoints are for staff only.
    path(
        "markdownx/markdownify/",
        staff_only(MarkdownifyView.as_view()),
        name="markdownx_markdownify",
    ),
    path("markdownx/upload/", staff_only(SafeImageUploadView.as_view()), name="markdownx_upload"),
    # Images editors uploaded (random names; see articles/editor.py).
    re_path(
        r"^media/uploads/(?P<name>[0-9a-f]{32}(?:-[0-9]{1,4})?\.(?:png|jpg|webp))$",
        read_only(serve_upload),
    ),
    # Each page's share image (articles/share_images.py), named by what it shows.
    re_path(
        r"^media/share/(?P<name>[0-9a-f]{32}\.png)$",
        read_only(share_images.serve),
        name="share_image",
    ),
    # For the proxy and monitoring; exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT).
    path("healthz", views.healthz, name="healthz"),
    path("", include("articles.urls")),
]

# A database outage gets the site's own 503 page rather than its 500 page.
handler500 = views.server_error
