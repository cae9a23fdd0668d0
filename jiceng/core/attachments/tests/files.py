"""Files for attachment tests: real photos (with a camera's EXIF block: maker, orientation
and a GPS position), PDFs, and files pretending to be what they are not."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

GPS_SHANGHAI = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (31.0, 13.0, 45.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (121.0, 28.0, 10.0),
}


def photo_bytes(
    size: tuple[int, int] = (640, 480), *, fmt: str = "JPEG", orientation: int | None = None
) -> bytes:
    """A photo as a phone writes it: a red left half, a blue right half; EXIF with the
    camera, the orientation tag if given, and where it was taken."""
    image = Image.new("RGB", size, "blue")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.GPSInfo] = GPS_SHANGHAI
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def photo(name: str = "photo.jpg", **kwargs: object) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, photo_bytes(**kwargs), content_type="image/jpeg")  # type: ignore[arg-type]


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "签到表.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def fake(name: str, data: bytes = b"MZ\x90\x00 this is a program") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")
