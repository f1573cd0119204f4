"""Each page's own share image (Open Graph, 1200 × 630): its title and the site's name.

Made with Pillow from Debian's DejaVu fonts (fonts-dejavu-core, installed by
scripts/ensure-fonts; nothing is downloaded at run time). The file's name is a hash of what it
shows, so a changed title is a new file and every file can be cached for ever. A section's
image is made when it is saved (the handler below); any other page's the first time it is
rendered, then stored like the rest.
"""

import functools
import hashlib
import io
import logging
import textwrap
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import FileResponse, Http404
from django.urls import reverse
from PIL import Image, ImageDraw, ImageFont

from .models import Section

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
FOLDER = "share"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
BOLD, REGULAR = FONT_DIR / "DejaVuSans-Bold.ttf", FONT_DIR / "DejaVuSans.ttf"
BACKGROUND, TEXT, ACCENT = (23, 42, 69), (255, 255, 255), (255, 209, 102)
MARGIN = 80
SITE_NAME = "Night Cramps"
TAGLINE = "What two published articles say about calf cramps at night"
# Part of every file's name: a change of design makes new files, never a stale cached one.
DESIGN = "1"


def _font(path, size):
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        log.warning("Font %s missing (run scripts/ensure-fonts); using Pillow's own.", path)
        return ImageFont.load_default(size)


@functools.lru_cache(maxsize=64)
def render(title):
    """The PNG image for a page titled `title`, as bytes (a tenth of a second or so to draw;
    kept for the process's next page with that title)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 24, HEIGHT], fill=ACCENT)
    draw.text((MARGIN, 60), SITE_NAME, font=_font(BOLD, 44), fill=ACCENT)
    # The largest size at which the title fits in four lines across the image.
    for size in (72, 64, 56, 48, 40):
        font = _font(BOLD, size)
        width = max(10, int((WIDTH - 2 * MARGIN) / (size * 0.58)))
        lines = textwrap.wrap(title, width=width)
        fits = all(draw.textlength(line, font=font) <= WIDTH - 2 * MARGIN for line in lines)
        if len(lines) <= 4 and fits:
            break
    top = 170
    for line in lines[:4]:
        draw.text((MARGIN, top), line, font=font, fill=TEXT)
        top += int(size * 1.25)
    draw.text((MARGIN, HEIGHT - 75), TAGLINE, font=_font(REGULAR, 30), fill=TEXT)
    out = io.BytesIO()
    image.save(out, format="PNG")  # optimize=True: 2.5 times slower, 5 % smaller
    return out.getvalue()


def name_for(title):
    digest = hashlib.sha256(f"{DESIGN}\n{title}".encode()).hexdigest()[:32]
    return f"{digest}.png"


def ensure(title):
    """The stored image's file name for this title, made and stored first if missing."""
    name = name_for(title)
    path = f"{FOLDER}/{name}"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(render(title)))
    return name


def url_for(title):
    """The address of the share image for a page titled `title` (made if missing)."""
    return reverse("share_image", kwargs={"name": ensure(title)})


@receiver(post_save, sender=Section, dispatch_uid="share-image")
def make_section_image(sender, instance, raw=False, **kwargs):
    """A saved section's image is made once the save is committed, so its page never waits
    for it (and a save rolled back leaves no file)."""
    if not raw:
        title = instance.share_heading
        transaction.on_commit(lambda: ensure(title))


def serve(request, name):
    """Share images: named by what they show, so they can be cached for a year."""
    path = f"{FOLDER}/{name}"
    if not default_storage.exists(path):
        raise Http404
    response = FileResponse(default_storage.open(path), content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
