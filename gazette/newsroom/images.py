"""Uploaded images are re-encoded before they are stored, without their metadata.

A photo straight from a phone carries EXIF: where it was taken (GPS), when, with which
device and its serial number. For a newsroom whose reporters and sources are at risk that is
a leak, and Wagtail keeps the original file as uploaded (renditions drop EXIF, but the
original is served to anyone who guesses its path, and to mirrors). So the upload form
re-encodes the picture with Pillow: the EXIF orientation is applied to the pixels first (so
the picture stays upright), then the file is written again with nothing but the pixels and
the colour profile (ICC: describes colours, identifies no one, and dropping it would shift
the colours of wide-gamut photos). XMP, IPTC, comments and text chunks all go.

Wired in as Wagtail's image form base (WAGTAILIMAGES_IMAGE_FORM_BASE), which the add and edit
views, the multiple uploader and the chooser's upload all use.
"""

from io import BytesIO
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from wagtail.images.forms import BaseImageForm

# Pillow format name: (content type, options for saving).
FORMATS = {
    "JPEG": ("image/jpeg", {"quality": 90, "optimize": True}),
    "PNG": ("image/png", {"optimize": True}),
    "WEBP": ("image/webp", {"quality": 90}),
    "GIF": ("image/gif", {}),
}


# What a picture's info may keep: transparency and animation timing, nothing about its origin.
DRAWING = ("transparency", "background", "duration", "loop", "disposal")


def without_metadata(data: bytes) -> tuple[bytes, str]:
    """The image re-encoded in its own format with no metadata but its ICC profile, upright;
    and its content type. ValueError for what Pillow cannot read or we do not take."""
    try:
        with Image.open(BytesIO(data)) as original:
            kind = original.format
            if kind not in FORMATS:
                raise ValueError(kind)
            content_type, options = FORMATS[kind]
            icc = original.info.get("icc_profile")
            if getattr(original, "n_frames", 1) > 1:
                # An animation: its frames as they are (GIF and WebP animations carry no
                # orientation), with their timing.
                options = {**options, "save_all": True}
                picture = original
            else:
                picture = ImageOps.exif_transpose(original)
                if kind == "JPEG" and picture.mode not in ("RGB", "L", "CMYK"):
                    picture = picture.convert("RGB")
            # Pillow writes XMP, comments and the like from here when saving: keep only how
            # the pixels are drawn.
            picture.info = {key: picture.info[key] for key in DRAWING if key in picture.info}
            return _save(picture, kind, options, icc), content_type
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(str(error)) from error


def _save(picture: Image.Image, kind: str, options: dict, icc: bytes | None) -> bytes:
    buffer = BytesIO()
    if icc:
        options = {**options, "icc_profile": icc}
    picture.save(buffer, kind, **options)
    return buffer.getvalue()


class ImageForm(BaseImageForm):
    """Wagtail's image form, storing the upload without its metadata."""

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload or "file" not in self.changed_data:
            return upload
        upload.seek(0)
        try:
            data, content_type = without_metadata(upload.read())
        except ValueError:
            raise ValidationError(
                _(
                    "This image could not be read to remove its hidden data (location, "
                    "camera). Save it again as JPEG or PNG and upload that."
                ),
                code="not_reencoded",
            ) from None
        name = PurePath(upload.name).name
        return SimpleUploadedFile(name, data, content_type=content_type)
