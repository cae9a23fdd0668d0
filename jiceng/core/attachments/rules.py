"""What may be attached: the file kinds, told by their first bytes (a renamed file is
refused), and how photos are kept.

A phone photo carries its EXIF block: the camera, the time and often the place it was taken
(the GPS position of a needy household's door). Photos are therefore decoded and written
again without it, turned upright as the camera meant (``exif_transpose``) and no larger than
``PHOTO_MAX_SIDE`` pixels on their long side; a thumbnail is kept for lists on a phone.
Other files are kept byte for byte.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

PHOTO_MAX_SIDE = 2560
THUMB_SIDE = 320
# Pillow refuses images beyond twice this many pixels (a "decompression bomb": a small file
# that unpacks into gigabytes); a 48-megapixel phone photo is 48e6.
MAX_PIXELS = 60_000_000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _zip_with(prefix: str) -> Callable[[bytes], bool]:
    """An Office Open XML file: a zip holding ``[Content_Types].xml`` and its part folder."""

    def check(data: bytes) -> bool:
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return False
        return "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names)

    return check


@dataclass(frozen=True)
class Kind:
    label: str
    mime: str
    extensions: tuple[str, ...]
    matches: Callable[[bytes], bool]
    photo: bool = False


KINDS: tuple[Kind, ...] = (
    Kind("JPEG", "image/jpeg", ("jpg", "jpeg"), lambda d: d.startswith(b"\xff\xd8\xff"), True),
    Kind("PNG", "image/png", ("png",), lambda d: d.startswith(b"\x89PNG\r\n\x1a\n"), True),
    Kind("WebP", "image/webp", ("webp",), lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP", True),
    Kind("PDF", "application/pdf", ("pdf",), lambda d: d.startswith(b"%PDF-")),
    Kind(
        "Word",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ("docx",),
        _zip_with("word/"),
    ),
    Kind(
        "Excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ("xlsx",),
        _zip_with("xl/"),
    ),
    Kind("Word 97-2003", "application/msword", ("doc",), lambda d: d.startswith(OLE_MAGIC)),
    Kind("Excel 97-2003", "application/vnd.ms-excel", ("xls",), lambda d: d.startswith(OLE_MAGIC)),
)
ACCEPT = ",".join(["image/*"] + [f".{e}" for k in KINDS for e in k.extensions])
# Said next to the file field and in the refusal of any other kind.
ALLOWED_TEXT = _("照片（JPG、PNG、WebP）、PDF、Word 或 Excel 文件")
# iPhones save photos as HEIC; Safari converts them to JPEG when a page asks for images, but a
# file picked from "Files" arrives as it is.
HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"heif", b"mif1")


def kind_of(name: str, data: bytes) -> Kind | None:
    """The kind whose extension ``name`` has and whose first bytes ``data`` has."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    for kind in KINDS:
        if ext in kind.extensions and kind.matches(data):
            return kind
    return None


def is_heic(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS
