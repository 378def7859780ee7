"""Images uploaded in the admin are stored without EXIF or GPS data, upright, and only in the
formats and sizes we take (gazette/newsroom/images.py, settings WAGTAILIMAGES_*)."""

from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageCms
from wagtail.images import get_image_model

from tests.factories import sign_in_staff

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo_with_gps(orientation: int = 6) -> bytes:
    """A 40x20 JPEG as a phone writes it: camera, GPS position and an orientation tag, an
    XMP packet and a comment; left half red, right half blue."""
    picture = Image.new("RGB", (40, 20), "red")
    picture.paste((0, 0, 255), (20, 0, 40, 20))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (56.0, 57.0, 0.0), 3: "E", 4: (24.0, 6.0, 0.0)}
    buffer = BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>56,57N</exif:GPSLatitude>'
    picture.save(
        buffer,
        "JPEG",
        exif=exif,
        xmp=xmp + b"</x:xmpmeta>",
        comment=b"taken at the safe house",
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    return buffer.getvalue()


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("editor", "editor@lantern.example", "x" * 16)
    sign_in_staff(client, user)
    return client


def upload(client, data: bytes, name: str, content_type: str = "image/jpeg"):
    return client.post(
        reverse("wagtailimages:add"),
        {"title": "Protest", "file": SimpleUploadedFile(name, data, content_type=content_type)},
    )


def test_a_photo_is_stored_without_exif_gps_or_xmp_and_upright(admin_client):
    original = photo_with_gps()
    with Image.open(BytesIO(original)) as check:  # the test photo does carry it all
        assert check.getexif().get_ifd(GPS_IFD) and check.info.get("xmp")

    response = upload(admin_client, original, "IMG_0001.jpg")
    assert response.status_code == 302, response.content.decode()[:2000]
    image = get_image_model().objects.get(title="Protest")
    with image.file.open("rb") as stored_file:
        stored = stored_file.read()
    assert b"safe house" not in stored and b"GPSLatitude" not in stored
    assert b"PhoneMaker" not in stored and b"Exif\x00\x00" not in stored
    with Image.open(BytesIO(stored)) as picture:
        assert picture.format == "JPEG"
        assert not picture.getexif()
        assert "exif" not in picture.info and "xmp" not in picture.info
        assert "comment" not in picture.info
        assert picture.info.get("icc_profile")  # colours kept
        # Orientation 6 (turn 90° clockwise) was applied to the pixels: 20 wide, 40 high,
        # red on top.
        assert picture.size == (20, 40)
        red, _green, blue = picture.convert("RGB").getpixel((10, 5))
        assert red > 200 and blue < 60
    assert (image.width, image.height) == (20, 40)
    assert image.file_size == len(stored)


def test_a_png_keeps_transparency_and_loses_its_text_chunks(admin_client):
    from PIL.PngImagePlugin import PngInfo

    picture = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    info = PngInfo()
    info.add_text("Location", "56.95 N 24.1 E")
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (56.0, 57.0, 0.0)}
    buffer = BytesIO()
    picture.save(buffer, "PNG", pnginfo=info, exif=exif)
    response = upload(admin_client, buffer.getvalue(), "map.png", "image/png")
    assert response.status_code == 302
    with get_image_model().objects.get().file.open("rb") as stored_file:
        stored = stored_file.read()
    assert b"56.95" not in stored
    with Image.open(BytesIO(stored)) as stored_picture:
        assert not stored_picture.getexif() and "Location" not in stored_picture.info
        assert stored_picture.mode == "RGBA" and stored_picture.getpixel((0, 0))[3] == 0


def test_a_file_of_another_type_is_refused_with_a_message(admin_client):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
    response = upload(admin_client, svg, "logo.svg", "image/svg+xml")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Not a supported image format. Supported formats: JPG, JPEG, PNG, WEBP, GIF." in text
    assert not get_image_model().objects.exists()


def test_a_too_large_upload_is_refused_with_a_message(admin_client, settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 1024
    big = Image.effect_noise((200, 200), 100).convert("RGB")
    buffer = BytesIO()
    big.save(buffer, "JPEG", quality=100)
    response = upload(admin_client, buffer.getvalue(), "noise.jpg")
    assert response.status_code == 200
    assert "This file is too big" in response.content.decode()
    assert not get_image_model().objects.exists()


def test_too_many_pixels_are_refused_before_decoding(admin_client, settings):
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 100 * 100
    buffer = BytesIO()
    Image.new("L", (101, 100)).save(buffer, "PNG")
    response = upload(admin_client, buffer.getvalue(), "wide.png", "image/png")
    assert response.status_code == 200
    assert "too many pixels" in response.content.decode()
    assert not get_image_model().objects.exists()
