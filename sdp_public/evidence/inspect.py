"""What an evidence file is, and the clean copies partners see instead of it.

Pure functions, no Flask: the web request calls sniff() and image_size() (cheap: they read
a header only); the background worker, in its own process, calls clean_image() and
pdf_previews(), which decode hostile input and so may use real CPU and memory.

A file's kind comes from its bytes alone. The name and the browser's Content-Type are the
reporter's (or an attacker's) word, so they are never asked.

Everything a hostile file can make Pillow or pdfium do ends in BadFile with a short fixed
reason, so the caller has one thing to catch and one word to store.
"""
import codecs
import io
import re
import warnings
import zlib
from dataclasses import dataclass, field

import pillow_heif
import pypdfium2 as pdfium
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

# Pillow learns HEIF (iPhone photos) from pillow_heif; registering twice is harmless, but
# once at import keeps it out of every call.
pillow_heif.register_heif_opener()

IMAGE_KINDS = ("jpeg", "png", "gif", "webp", "heif")
ACCEPTED = (*IMAGE_KINDS, "pdf", "text")
MEDIA_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "heif": "image/heif",
    "pdf": "application/pdf",
    "text": "text/plain; charset=utf-8",
}
EXTENSIONS = {"jpeg": "jpg", "png": "png", "gif": "gif", "webp": "webp", "heif": "heic",
              "pdf": "pdf", "text": "txt"}

# How much of a file sniff() wants; callers pass at least this much (or the whole file).
SNIFF_BYTES = 4096

# Limits on what the worker will decode. 40 megapixels is above any phone camera (a 48 MP
# sensor saves 12 MP by default) and about 160 MB as RGBA; either side over 20,000 px is a
# crafted file or a panorama nobody needs at full size to read.
MAX_PIXELS = 40_000_000
MAX_SIDE = 20_000

# Pillow formats the image functions may open. Without this list Image.open tries every
# plugin it has, and some (EPS) hand the file to Ghostscript.
_PILLOW_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "HEIF")

JPEG_QUALITY = 88

# Page previews: never taller than this many widths, so a 1-point-wide, mile-tall page
# cannot ask for a gigapixel bitmap.
MAX_PAGE_ASPECT = 4

# PDF names that mean the file can act when opened. Shown to partners as a warning only
# (the PDF itself is never shown inline), so false alarms cost little: note that many
# ordinary PDFs (LaTeX hyperref, some office suites) carry an /OpenAction that only sets
# the first view.
ACTIVE_PDF_NAMES = frozenset({b"JavaScript", b"JS", b"OpenAction"})


class BadFile(Exception):
    """A file we will not keep a clean copy of. `reason` is one of REASONS."""

    REASONS = ("corrupt", "too-large", "unsupported", "encrypted")

    def __init__(self, reason):
        assert reason in self.REASONS, reason
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    media_type: str
    width: int
    height: int


@dataclass(frozen=True)
class PdfPreview:
    pages: int
    images: list = field(default_factory=list)  # PNG bytes, one per rendered page
    has_javascript: bool = False


# --- Sniffing -----------------------------------------------------------------------

# ISO BMFF brands of HEIF still images. AVIF shares the container; Pillow could decode it
# but it is not a kind we accept, so a file claiming an AVIF brand is refused.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})

# Text that a browser (or a partner's viewer) would treat as markup if it ever got the
# chance. Served as text/plain with nosniff it would be harmless, but there is no reason
# for a reporter's note to look like this, and refusing it closes the door entirely.
_MARKUP_START = re.compile(rb"<(?:svg|html|!doctype|\?xml|script)", re.IGNORECASE)
_MARKUP_ANYWHERE = re.compile(rb"<(?:svg|script|html)", re.IGNORECASE)
# C0 controls other than tab, LF, FF, CR; DEL is not C0 and is allowed.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


def sniff(head):
    """The kind of file these first bytes begin, one of ACCEPTED, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        return "heif" if _is_heif(head) else None
    # Readers accept %PDF- anywhere in the first 1024 bytes; insisting on offset 0 keeps
    # a file from being a PDF and something else at once.
    if head.startswith(b"%PDF-"):
        return "pdf"
    if _is_plain_text(head):
        return "text"
    return None


def _is_heif(head):
    size = int.from_bytes(head[:4], "big")
    if size < 16 or size > len(head) or size % 4:
        return False
    brands = {head[8:12]} | {head[i:i + 4] for i in range(16, size, 4)}
    return not brands & _AVIF_BRANDS and bool(brands & _HEIF_BRANDS)


def _is_plain_text(head):
    if not head:
        return False
    try:
        # final=False: the caller's head may end part-way through a character.
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    if _CONTROL.search(text):
        return False
    if _MARKUP_START.match(head.removeprefix(codecs.BOM_UTF8).lstrip()):
        return False
    return not _MARKUP_ANYWHERE.search(head)


# --- Images -------------------------------------------------------------------------

def image_size(path):
    """(width, height) from the header alone; BadFile if unreadable or over the limits."""
    with _hostile_input(path):
        with Image.open(path, formats=_PILLOW_FORMATS) as img:
            return _checked_size(img)


def clean_image(path, max_side=4096):
    """A fresh copy of the image with no metadata at all, the longer side <= max_side.

    PNG when the source has transparency or was PNG/GIF (screenshots: sharp text, few
    colours), otherwise JPEG. The first frame only of an animation.
    """
    with _hostile_input(path):
        with Image.open(path, formats=_PILLOW_FORMATS) as img:
            width, height = _checked_size(img)
            as_png = img.format in ("PNG", "GIF")
            if img.format == "JPEG" and max(width, height) > max_side:
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: a 40 MP photo then costs
                # a fraction of the memory and time. draft() never goes below the size
                # asked for, so thumbnail() below still does the exact fit.
                ratio = max_side / max(width, height)
                img.draft(None, (max(1, int(width * ratio)), max(1, int(height * ratio))))
            img.load()
            if img.mode in ("1", "P", "PA"):
                # Resizing a palette image can only pick pixels; in colour it can blend.
                img = img.convert("RGBA" if img.has_transparency_data else "RGB")
            # Shrink first, in place: the copies made below are then of the small image.
            img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            img = ImageOps.exif_transpose(img)  # the clean copy loses the tag, so apply it
            img = _to_srgb(img)
            if img.has_transparency_data:
                as_png = True
                img = img.convert("RGBA")
            else:
                img = _to_rgb(img)
            return _reencode(img, as_png)


def _checked_size(img):
    width, height = img.size
    if width < 1 or height < 1:
        raise BadFile("corrupt")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise BadFile("too-large")
    return width, height


def _to_srgb(img):
    """Convert through the embedded ICC profile (iPhone photos are Display P3), if any.

    The profile itself never reaches the clean copy. A profile lcms cannot use is ignored:
    the colours are then a little off, which is no reason to refuse the evidence.
    """
    icc = img.info.get("icc_profile")
    if not icc or img.mode not in ("RGB", "RGBA", "CMYK"):
        return img
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output = "RGBA" if img.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(img, source, ImageCms.createProfile("sRGB"),
                                         outputMode=output)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return img


def _to_rgb(img):
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale: convert("L") would clip everything above 255 to white.
        img = img.convert("I").point(lambda value: value / 256).convert("L")
    return img.convert("RGB")


def _reencode(img, as_png):
    # A brand-new image: nothing from the source's info (EXIF, XMP, ICC, comments, PNG
    # text) can ride along, whatever a format's save() would otherwise copy over.
    fresh = Image.new(img.mode, img.size)
    fresh.paste(img)
    out = io.BytesIO()
    if as_png:
        fresh.save(out, format="PNG")
    else:
        fresh.save(out, format="JPEG", quality=JPEG_QUALITY)
    media_type = "image/png" if as_png else "image/jpeg"
    return CleanImage(out.getvalue(), media_type, fresh.width, fresh.height)


class _hostile_input:
    """Every failure while reading a hostile image becomes BadFile.

    Pillow and its decoders raise all sorts (OSError, SyntaxError, struct.error,
    ValueError, EOFError, IndexError, MemoryError...) on crafted files, so anything but
    BadFile is caught: the worker must be able to say "corrupt" and move on. The
    decompression-bomb warning is raised as an error here rather than merely logged.
    """

    def __init__(self, path):
        self.path = path
        self.warnings = warnings.catch_warnings()

    def __enter__(self):
        # Someone flipping this on would let a cut-off file pass as a clean image.
        if ImageFile.LOAD_TRUNCATED_IMAGES:
            raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay off")
        self.warnings.__enter__()
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return self

    def __exit__(self, kind, error, traceback):
        self.warnings.__exit__(kind, error, traceback)
        if error is None or isinstance(error, BadFile):
            return False
        if isinstance(error, (Image.DecompressionBombWarning, Image.DecompressionBombError)):
            raise BadFile("too-large") from error
        if isinstance(error, UnidentifiedImageError):
            raise BadFile(_unidentified_reason(self.path)) from error
        if isinstance(error, Exception):
            raise BadFile("corrupt") from error
        return False


def _binary(source):
    """A file to read: `source` is a path, or a file held in memory (io.BytesIO): the
    worker never writes a reporter's file to disk in the clear."""
    if hasattr(source, "getvalue"):
        return io.BytesIO(source.getvalue())
    return open(source, "rb")


def _unidentified_reason(path):
    # Pillow could not read it at all: broken if its first bytes claim an image kind we
    # take, otherwise simply not one of ours.
    try:
        with _binary(path) as file:
            kind = sniff(file.read(SNIFF_BYTES))
    except OSError:
        return "corrupt"
    return "corrupt" if kind in IMAGE_KINDS else "unsupported"


# --- PDFs ---------------------------------------------------------------------------

def pdf_previews(path, max_pages=5, width=1200):
    """PNG renderings of the first max_pages pages, each at most `width` px wide.

    pdfium runs no JavaScript without a form environment, and none is made here (no
    init_forms), so rendering a hostile PDF draws it and nothing more.
    """
    try:
        pdf = pdfium.PdfDocument(path.getvalue() if hasattr(path, "getvalue") else str(path))
    except pdfium.PdfiumError as error:
        # pdfium's last error is kept from call to call (a file it refuses without setting
        # one reads as the previous file's error): "encrypted" only if this file says so.
        if error.err_code in (pdfium.raw.FPDF_ERR_PASSWORD, pdfium.raw.FPDF_ERR_SECURITY) and _names_encryption(path):
            raise BadFile("encrypted") from error
        raise BadFile("corrupt") from error
    except Exception as error:
        raise BadFile("corrupt") from error
    try:
        pages = len(pdf)
        if pages < 1:
            raise BadFile("corrupt")
        images = [_render_page(pdf, index, width) for index in range(min(pages, max_pages))]
        document_scripts = pdfium.raw.FPDFDoc_GetJavaScriptActionCount(pdf) > 0
    except BadFile:
        raise
    except Exception as error:
        raise BadFile("corrupt") from error
    finally:
        pdf.close()
    return PdfPreview(pages, images, document_scripts or _names_active_content(path))


def _names_encryption(path):
    """Whether the raw file has an /Encrypt entry (read in 1 MB pieces)."""
    tail = b""
    with _binary(path) as file:
        while chunk := file.read(_CHUNK):
            if b"/Encrypt" in tail + chunk:
                return True
            tail = chunk[-16:]
    return False


def _render_page(pdf, index, width):
    page = pdf[index]
    try:
        page_width, page_height = page.get_size()  # points, after the page's /Rotate
        if not (page_width > 0 and page_height > 0):
            raise BadFile("corrupt")
        scale = min(width / page_width, width * MAX_PAGE_ASPECT / page_height)
        bitmap = page.render(scale=scale, may_draw_forms=False)
        try:
            image = bitmap.to_pil()
            out = io.BytesIO()
            # A PIL image made from a bitmap has an empty info dict: no metadata to strip.
            image.save(out, format="PNG")
            return out.getvalue()
        finally:
            bitmap.close()
    finally:
        page.close()


_PDF_NAME = re.compile(rb"/((?:[^\x00\t\n\x0c\r /\[\]()<>{}%#]|#[0-9A-Fa-f]{2})+)")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM_START = re.compile(rb"(?<!end)stream(?:\r\n|\n)")
_CHUNK = 1 << 20
_OVERLAP = 256  # longer than any name we look for, even written all in #xx escapes
# How much compressed stream data the scan inflates per file, at most. Past it the rest
# goes unread (the flag is a warning, not a gate) rather than the worker's memory or time.
MAX_INFLATED_BYTES = 128 * 1024 * 1024


def _names_active_content(path):
    """Whether the file names JavaScript or an open action, read in 1 MB chunks.

    Two places are read: the raw bytes, and the inflated contents of Flate streams,
    because since PDF 1.5 the catalog and every other dictionary may sit compressed in an
    object stream where a raw search never sees them. Names may also be written with #xx
    escapes (/J#61vaScript is /JavaScript), so each name is decoded before comparing.
    """
    raw, inflated = _NameWatch(), _NameWatch()
    with _binary(path) as file:
        chunks = iter(lambda: file.read(_CHUNK), b"")
        for piece in _inflated_streams(chunks, raw):
            if raw.found or inflated.feed(piece):
                return True
    return raw.found


class _NameWatch:
    """Looks for ACTIVE_PDF_NAMES in bytes that arrive piece by piece."""

    def __init__(self):
        self.tail = b""
        self.found = False

    def feed(self, data):
        window = self.tail + data
        self.tail = window[-_OVERLAP:]
        for match in _PDF_NAME.finditer(window):
            name = _PDF_NAME_ESCAPE.sub(lambda m: bytes.fromhex(m[1].decode()), match[1])
            if name in ACTIVE_PDF_NAMES:
                self.found = True
        return self.found


def _inflated_streams(chunks, raw):
    """Yield inflated pieces of every stream that zlib can inflate, feeding `raw` as it goes.

    Streams under other filters (images, fonts) fail on their first bytes and are skipped.
    """
    budget = MAX_INFLATED_BYTES
    inflater, carry = None, b""
    for chunk in chunks:
        raw.feed(chunk)
        data, carry = carry + chunk, b""
        while data and budget > 0:
            if inflater is None:
                start = _STREAM_START.search(data)
                if start is None:
                    carry = data[-16:]  # "endstream\r\n" may straddle two chunks
                    break
                inflater, data = zlib.decompressobj(), data[start.end():]
                continue
            try:
                piece = inflater.decompress(data, min(budget, 4 * _CHUNK))
            except zlib.error:
                inflater = None  # not Flate, or broken: look for the next stream in data
                continue
            budget -= len(piece)
            yield piece
            if inflater.eof:
                inflater, data = None, inflater.unused_data
            else:
                data = inflater.unconsumed_tail


# --- Tests' view of metadata --------------------------------------------------------

def metadata_names(data):
    """Which of exif, gps, xmp, icc, comment the image bytes carry."""
    found = set()
    with Image.open(io.BytesIO(data)) as img:
        info = img.info
        exif = img.getexif()
        if info.get("exif") or len(exif):
            found.add("exif")
        if 0x8825 in exif or exif.get_ifd(0x8825):
            found.add("gps")
        if info.get("xmp") or info.get("XML:com.adobe.xmp"):
            found.add("xmp")
        if info.get("icc_profile"):
            found.add("icc")
        if info.get("comment") or getattr(img, "text", None):
            found.add("comment")
    return found
