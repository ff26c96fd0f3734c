"""Lettering for the images Flywheel draws itself (the referral share card): which font file has
every character of a text, and how Pillow is to lay it out (shaped, in the language's direction).

Fonts are files on this machine, never fetched: those named in `settings.SHARE_CARD_FONTS`
first, then Vazirmatn 33.0.3 (kernel/fonts/, OFL, 120 kB: Latin, Turkish, Persian), then the
places Debian's font packages put Noto Sans CJK (`fonts-noto-cjk`, Traditional Chinese) and
DejaVu Sans (`fonts-dejavu-core`). A text is drawn in the first font that has all its
characters; when none has, in the one that has most (the others show as that font's mark for
a missing letter, a box or nothing, and are logged), never an error.

Persian needs shaping (letters joined) and right-to-left order: Pillow does both only with
libraqm (Pillow's wheels bundle it with HarfBuzz, but load FriBiDi from the system: Debian's
libfribidi0). Without it `can_shape()` is false:
callers draw English instead of right-to-left text, and `manage.py check` says so."""

from __future__ import annotations

import functools
import logging
import os
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

BUNDLED = Path(__file__).resolve().parent / "fonts"
DEFAULT_FONTS = (
    str(BUNDLED / "Vazirmatn-Regular.ttf"),
    # fonts-noto-cjk: a collection; face 3 is "Noto Sans CJK TC" (Traditional Chinese forms).
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc#3",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # fonts-dejavu-core: Greek, Cyrillic...
)


@dataclass(frozen=True)
class Face:
    """One font file (and its face in a .ttc collection)."""

    path: str
    index: int = 0

    @classmethod
    def parse(cls, entry: str) -> Face:
        path, _hash, index = entry.strip().partition("#")
        return cls(path, int(index) if index.isdigit() else 0)

    def __str__(self) -> str:
        return f"{self.path}#{self.index}" if self.index else self.path


def configured_faces() -> list[Face]:
    """Every font entry in the order tried, whether its file exists or not."""
    entries = [*getattr(settings, "SHARE_CARD_FONTS", ()), *DEFAULT_FONTS]
    return list(dict.fromkeys(Face.parse(entry) for entry in entries if entry.strip()))


def faces() -> list[Face]:
    """The fonts tried, in order: the configured ones whose file can be read as a font."""
    return [face for face in configured_faces() if coverage(face)]


def can_shape() -> bool:
    """Whether Pillow has libraqm, which joins Persian letters and orders text right to left."""
    from PIL import features

    return bool(features.check("raqm"))


def fingerprint() -> str:
    """What drawing a text depends on besides the text: part of a cached image's key, so
    installing a font or libraqm redraws it."""
    names = [f"{Path(face.path).name}#{face.index}" for face in faces()]
    return "|".join([*names, f"raqm={can_shape()}"])


def _drawn(text: str) -> set[int]:
    """The characters of `text` that need a glyph (not spaces, controls or joiners like ZWNJ)."""
    return {ord(ch) for ch in text if unicodedata.category(ch) not in ("Zs", "Cc", "Cf", "Zl",
                                                                       "Zp")}


def missing(text: str, face: Face | None) -> str:
    """The characters of `text` that `face` has no glyph for (all of them for no face)."""
    lacking = _drawn(text) - (coverage(face) if face else frozenset())
    return "".join(sorted(map(chr, lacking)))


def face_for(text: str) -> Face | None:
    """The first font that has every character of `text`; else the one with most of them (the
    missing ones are logged); None when no font can be read at all."""
    needed = _drawn(text)
    best, best_missing = None, None
    for face in faces():
        missing = needed - coverage(face)
        if not missing:
            return face
        if best_missing is None or len(missing) < len(best_missing):
            best, best_missing = face, missing
    if best is not None and best_missing:
        logger.warning("No font has %s (for %r); drawn with %s. Install a font that has them "
                       "and name it in SHARE_CARD_FONTS.",
                       "".join(sorted(map(chr, best_missing))), text, best)
    return best


def font(face: Face | None, size: int):
    """The Pillow font of `face` at `size` px (Pillow's own font when there is no face), laid
    out by libraqm when Pillow has it."""
    from PIL import ImageFont

    if face is None:
        return ImageFont.load_default(size=size)
    return _truetype(face, size, can_shape())


@functools.lru_cache(maxsize=64)
def _truetype(face: Face, size: int, shaped: bool):
    from PIL import ImageFont

    engine = ImageFont.Layout.RAQM if shaped else ImageFont.Layout.BASIC
    return ImageFont.truetype(face.path, size, index=face.index, layout_engine=engine)


def layout(face: Face | None, *, language: str | None, direction: str | None) -> dict:
    """The keyword arguments for ImageDraw.text/textlength with `face`: the direction ("rtl",
    "ltr", or None to take it from the text) and the language (which picks its letterforms,
    such as Traditional Chinese ones). Empty without libraqm, which alone takes them, and for
    Pillow's own font (no face), which is never laid out by it."""
    if face is None or not can_shape():
        return {}
    options: dict = {}
    if direction:
        options["direction"] = direction
    if language:
        options["language"] = language
    return options


def language_tag(code: str) -> str:
    """A Django language code as a BCP 47 tag: "zh-hant" -> "zh-Hant", "fa" -> "fa"."""
    head, _sep, rest = code.partition("-")
    return f"{head}-{rest.title()}" if len(rest) == 4 else code


# ---------------------------------------------------------------------------------------------
# The characters a font has: its 'cmap' table (formats 4 and 12, which every Unicode font has).


@functools.lru_cache(maxsize=32)
def coverage(face: Face) -> frozenset[int]:
    """The code points `face` has a glyph for; empty when the file is missing or not a font."""
    try:
        with open(face.path, "rb") as file:
            return frozenset(_cmap_codepoints(file, face.index))
    except (OSError, ValueError, struct.error) as error:
        if os.path.exists(face.path):
            logger.warning("Font %s cannot be read: %s", face, error)
        return frozenset()


def _read(file, offset: int, size: int) -> bytes:
    file.seek(offset)
    data = file.read(size)
    if len(data) != size:
        raise ValueError("truncated font file")
    return data


def _cmap_codepoints(file, index: int) -> set[int]:
    start = 0
    if _read(file, 0, 4) == b"ttcf":
        count = struct.unpack(">I", _read(file, 8, 4))[0]
        if not 0 <= index < count:
            raise ValueError(f"the collection has {count} faces")
        start = struct.unpack(">I", _read(file, 12 + 4 * index, 4))[0]
    tables = struct.unpack(">H", _read(file, start + 4, 2))[0]
    directory = _read(file, start + 12, 16 * tables)
    for i in range(tables):
        tag, _checksum, offset, length = struct.unpack_from(">4sIII", directory, 16 * i)
        if tag == b"cmap":
            return _parse_cmap(_read(file, offset, length))
    raise ValueError("no cmap table")


def _parse_cmap(cmap: bytes) -> set[int]:
    count = struct.unpack_from(">H", cmap, 2)[0]
    subtables = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", cmap, 4 + 8 * i)
        subtables[(platform, encoding)] = offset
    for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0)):
        if key in subtables:
            offset = subtables[key]
            form = struct.unpack_from(">H", cmap, offset)[0]
            if form == 12:
                return _format12(cmap, offset)
            if form == 4:
                return _format4(cmap, offset)
    raise ValueError("no Unicode cmap of format 4 or 12")


def _format12(cmap: bytes, offset: int) -> set[int]:
    groups = struct.unpack_from(">I", cmap, offset + 12)[0]
    points: set[int] = set()
    for i in range(groups):
        first, last, glyph = struct.unpack_from(">III", cmap, offset + 16 + 12 * i)
        points.update(range(first + (glyph == 0), last + 1))
    return points


def _format4(cmap: bytes, offset: int) -> set[int]:
    segments = struct.unpack_from(">H", cmap, offset + 6)[0] // 2
    ends = offset + 14
    starts = ends + 2 * segments + 2
    deltas = starts + 2 * segments
    range_offsets = deltas + 2 * segments
    points: set[int] = set()
    for i in range(segments):
        last = struct.unpack_from(">H", cmap, ends + 2 * i)[0]
        first = struct.unpack_from(">H", cmap, starts + 2 * i)[0]
        delta = struct.unpack_from(">h", cmap, deltas + 2 * i)[0]
        range_offset = struct.unpack_from(">H", cmap, range_offsets + 2 * i)[0]
        for point in range(first, min(last, 0xFFFE) + 1):
            if range_offset == 0:
                glyph = (point + delta) & 0xFFFF
            else:
                at = range_offsets + 2 * i + range_offset + 2 * (point - first)
                glyph = struct.unpack_from(">H", cmap, at)[0]
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                points.add(point)
    return points
