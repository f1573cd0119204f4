"""Each page's own share image (#11): 1200 × 630 PNG, its title and the site's name, made when
a section is saved and again when its title changes, served to be cached for ever."""

import io
import re

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from articles import share_images
from articles.models import Section

from .test_sharing import every_page, meta


def image_path(url):
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.mark.django_db
class TestShareImages:
    def test_every_page_has_its_own_png_of_the_right_size(self, client, content):
        images = {}
        for url in every_page():
            tags = meta(client, url)
            assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
            assert tags["og:image:type"] == "image/png"
            assert tags["twitter:image"] == tags["og:image"]
            alt = "Night Cramps" if url == "/" else f"{tags['og:title']} | Night Cramps"
            assert tags["og:image:alt"] == tags["twitter:image:alt"] == alt, url
            response = client.get(image_path(tags["og:image"]))
            assert response.status_code == 200, url
            assert response["Content-Type"] == "image/png"
            assert response["Cache-Control"] == "public, max-age=31536000, immutable"
            image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
            assert (image.format, image.size) == ("PNG", (1200, 630))
            images[url] = tags["og:image"]
        # One image per title: every section, topic and the home page its own.
        assert len(set(images.values())) == len(images), images

    def test_made_when_a_section_is_saved_and_again_when_its_title_changes(
        self, content, django_capture_on_commit_callbacks
    ):
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        first = f"{share_images.FOLDER}/{share_images.name_for(section.share_heading)}"
        assert not default_storage.exists(first)  # the loader's saves are not committed here
        with django_capture_on_commit_callbacks(execute=True):
            section.save()
        assert default_storage.exists(first)
        section.share_title = "Stop a calf cramp: three steps"
        with django_capture_on_commit_callbacks(execute=True):
            section.save()
        second = f"{share_images.FOLDER}/{share_images.name_for(section.share_title)}"
        assert second != first and default_storage.exists(second)

    def test_image_shows_the_title(self):
        # Different titles draw different pictures; the same title the same one.
        draw = share_images.render.__wrapped__  # not the process's cache of drawn images
        assert draw("Relief") != draw("Causes") and draw("Relief") == draw("Relief")

    def test_unknown_image_is_404(self, client, db):
        assert client.get(f"/media/share/{'0' * 32}.png").status_code == 404
        assert client.get("/media/share/../secret.png").status_code == 404

    def test_fonts_come_from_the_debian_package(self):
        assert share_images.BOLD.is_file() and share_images.REGULAR.is_file()
