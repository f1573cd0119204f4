"""The editor's tools behind the markdownx widget: access control and image uploads."""

import uuid
from functools import wraps
from io import BytesIO

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, JsonResponse
from markdownx.views import ImageUploadView
from PIL import Image, UnidentifiedImageError

# Read from the file's bytes, never from its name or the browser's claimed type.
IMAGE_FORMATS = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "WEBP": ("webp", "image/webp"),
}
# Phone cameras save JPEGs with extra frames (MPO): the first frame is the photo.
SAME_AS = {"MPO": "JPEG"}
CONTENT_TYPES = {extension: content_type for extension, content_type in IMAGE_FORMATS.values()}
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000  # e.g. 5000 x 5000; decompression bombs are refused before decoding
UPLOAD_DIR = "uploads"
# Narrower copies made on upload, by width in pixels, for phones (srcset in the pages).
VARIANT_WIDTHS = (480, 960)


def variant_name(stem, width, extension):
    """The file name of an upload's copy: <stem>-<width>.<extension>, or <stem>.<extension>
    for the full width."""
    return f"{stem}-{width}.{extension}" if width else f"{stem}.{extension}"


def staff_only(view):
    """Answer 403 to anyone but logged-in, active staff: the endpoints are editor tools."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class ImageUploadForm(forms.Form):
    image = forms.FileField()

    def clean_image(self):
        upload = self.cleaned_data["image"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"This image is {upload.size / 1024 / 1024:.1f} MB; the limit is "
                f"{MAX_BYTES // 1024 // 1024} MB. Save it smaller and try again."
            )
        try:
            with Image.open(upload) as image:
                image_format = SAME_AS.get(image.format, image.format)
                if image_format not in IMAGE_FORMATS:
                    raise forms.ValidationError(self.wrong_type_message(image.format))
                if image.width * image.height > MAX_PIXELS:
                    raise forms.ValidationError(
                        f"This image is {image.width} × {image.height} pixels; the limit is "
                        f"{MAX_PIXELS // 1_000_000} million pixels. Make it smaller and try again."
                    )
                image.load()  # decode it all: a truncated or corrupt file fails here
                self.image = image.copy()  # of an MPO: its first frame only
                self.image_format = image_format
        except forms.ValidationError:
            raise
        except UnidentifiedImageError as error:
            raise forms.ValidationError(self.wrong_type_message(None)) from error
        except Exception as error:
            # Pillow's decoders refuse hostile files with many kinds of error (OSError,
            # ValueError for a text or colour-profile chunk that would expand too far,
            # DecompressionBombError, SyntaxError, ...): all of them are a bad file, not a bug.
            raise forms.ValidationError(
                "This image could not be read safely: it may be damaged. Open it in an image "
                "editor, save it again as PNG, JPEG or WebP and try again."
            ) from error
        return upload

    @staticmethod
    def wrong_type_message(found):
        found = f" (this file is {found})" if found else ""
        return f"Only PNG, JPEG and WebP images can be uploaded{found}. SVG is not accepted."

    def save(self, commit=True):
        """Store a re-encoded copy (no metadata, such as a phone's location) under a random
        name, and return its URL; narrower copies and WebP ones go beside it (see
        markdown.ResponsiveImageTreeprocessor)."""
        extension, _ = IMAGE_FORMATS[self.image_format]
        image = self.image
        if self.image_format == "JPEG" and image.mode not in {"RGB", "L"}:
            image = image.convert("RGB")
        image.info.clear()  # Pillow would carry comments, EXIF and ICC over into the copy
        stem = uuid.uuid4().hex
        name = self._store(image, self.image_format, variant_name(stem, None, extension))
        for width in (*(w for w in VARIANT_WIDTHS if w < image.width), None):
            copy = image
            if width:
                copy = image.resize((width, max(1, round(image.height * width / image.width))))
                self._store(copy, self.image_format, variant_name(stem, width, extension))
            if self.image_format != "WEBP":
                self._store(copy, "WEBP", variant_name(stem, width, "webp"))
        return default_storage.url(name)

    @staticmethod
    def _store(image, image_format, name):
        buffer = BytesIO()
        image.save(buffer, format=image_format)
        return default_storage.save(f"{UPLOAD_DIR}/{name}", ContentFile(buffer.getvalue()))


class SafeImageUploadView(ImageUploadView):
    """markdownx's upload view with our form; it answers the editor's script only."""

    form_class = ImageUploadForm
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if request.headers.get("x-requested-with") != "XMLHttpRequest":
            return JsonResponse(
                {"image": ["Upload images by dropping them into the editor."]}, status=400
            )
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        # The image's size goes into the Markdown (attr_list), so pages give the browser its
        # width and height: nothing shifts while it loads, and CSS scales it to the column.
        url = form.save()
        code = f"![]({url}){{width={form.image.width} height={form.image.height}}}"
        return JsonResponse({"image_code": code})


def serve_upload(request, name):
    """Uploaded images: random names never change, so they can be cached for a year."""
    extension = name.rsplit(".", 1)[-1]
    path = f"{UPLOAD_DIR}/{name}"
    if extension not in CONTENT_TYPES or not default_storage.exists(path):
        raise Http404
    response = FileResponse(default_storage.open(path), content_type=CONTENT_TYPES[extension])
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
