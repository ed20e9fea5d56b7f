"""sdp_public.evidence.inspect: sniffing by content, clean image copies, PDF previews.

Every fixture is made here in code (Pillow, pillow_heif, hand-written PDFs), so the tests
need no files, no database and no app.
"""
import io
import os
import random
import resource
import struct
import zipfile
import zlib

import pytest
from PIL import Image

from evidence_samples import XMP, gps_exif, image_bytes, pdf_bytes, png_header_only, two_tone, write
from sdp_public.evidence import inspect
from sdp_public.evidence.inspect import BadFile, clean_image, image_size, metadata_names, pdf_previews, sniff

# --- Fixture makers (the rest are shared with the journey tests: tests/evidence_samples.py)

def pdf_with_object_stream(catalog_extra=b""):
    """A PDF 1.5 whose dictionaries sit Flate-compressed in an object stream, as many
    modern writers save them, found through a cross-reference stream."""
    compressed = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources "
        b"<< /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
    ]
    header, body = [], b""
    for number, obj in enumerate(compressed, start=1):
        header.append(b"%d %d" % (number, len(body)))
        body += obj + b" "
    header = b" ".join(header) + b" "
    packed = zlib.compress(header + body)
    content = b"BT /F1 24 Tf 72 720 Td (Evidence page) Tj ET"
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    offsets[5] = len(out)
    out += b"5 0 obj\n<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream\nendobj\n"
    offsets[6] = len(out)
    out += (b"6 0 obj\n<< /Type /ObjStm /N 4 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(header), len(packed)) + packed + b"\nendstream\nendobj\n")
    offsets[7] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 2, 6, index) for index in range(4)]
    rows += [struct.pack(">BIH", 1, offsets[number], 0) for number in (5, 6, 7)]
    xref = b"".join(rows)
    out += (b"7 0 obj\n<< /Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
            % len(xref) + xref + b"\nendstream\nendobj\n")
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[7]
    return bytes(out)


# --- sniff ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, kind", [("JPEG", "jpeg"), ("PNG", "png"), ("GIF", "gif"),
                                       ("WEBP", "webp"), ("HEIF", "heif")])
def test_sniff_knows_each_image_kind_by_its_bytes(fmt, kind):
    assert sniff(image_bytes(two_tone(), fmt)[:4096]) == kind


def test_sniff_pdf_and_text():
    assert sniff(pdf_bytes()) == "pdf"
    assert sniff("Scam text from 07700 900123:\r\n\tpay £50 now\f\n".encode()) == "text"
    assert sniff(b"\xef\xbb\xbfWith a byte order mark") == "text"
    # The caller's 4096 bytes may end part-way through a character.
    assert sniff(("a" * 4094).encode() + "€".encode()[:2]) == "text"


def test_sniff_pdf_only_at_the_start():
    assert sniff(b"junk before\n" + pdf_bytes()) is None


@pytest.mark.parametrize("data", [
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b'  <SVG xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    b"<html><script>alert(document.cookie)</script></html>",  # renamed to photo.jpg
    b"<!DOCTYPE html><p>hello",
    b"Dear partner, see below\n\n<script src=//evil.example></script>",
    b"harmless first line then <Html>",
], ids=["svg-xml", "svg", "html-as-jpg", "doctype", "script-later", "html-later"])
def test_sniff_refuses_markup(data):
    assert sniff(data) is None


@pytest.mark.parametrize("data", [
    b"", b"text with a \x00 NUL", b"caf\xe9 (latin-1, not UTF-8)", b"bell \x07 character",
    b"\xef\xbb\xbf\xff\xfe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
    b"\x7fELF\x02\x01\x01\x00",
], ids=["empty", "nul", "invalid-utf8", "bell", "bom-then-garbage", "exe", "elf"])
def test_sniff_refuses_binary_and_broken_text(data):
    assert sniff(data) is None


def test_sniff_refuses_a_zip():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", image_bytes(two_tone(), "JPEG"))
    assert sniff(out.getvalue()[:4096]) is None


def test_sniff_heif_brands_but_not_avif():
    def ftyp(major, *compatible):
        body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
        return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00" * 32
    assert sniff(ftyp(b"heic", b"mif1", b"heic")) == "heif"
    assert sniff(ftyp(b"mif1", b"heic")) == "heif"
    assert sniff(ftyp(b"avif", b"mif1", b"miaf")) is None
    assert sniff(ftyp(b"mif1", b"avif")) is None
    assert sniff(ftyp(b"isom", b"mp41")) is None  # an MP4 video
    assert sniff(b"\x00\x00\x00\xffftypheic") is None  # box longer than the file


def test_kinds_have_media_types_and_extensions():
    assert set(inspect.MEDIA_TYPES) == set(inspect.EXTENSIONS) == set(inspect.ACCEPTED)
    assert inspect.MEDIA_TYPES["text"] == "text/plain; charset=utf-8"
    assert inspect.MEDIA_TYPES["heif"] == "image/heif"


def test_polyglot_gif_with_html_is_a_gif_whose_clean_copy_drops_the_html(tmp_path):
    html = b"<html><script>alert(document.cookie)</script></html>"
    data = image_bytes(two_tone(), "GIF") + html
    assert sniff(data) == "gif"
    clean = clean_image(write(tmp_path, "poly.gif", data))
    assert clean.media_type == "image/png"
    assert b"<html" not in clean.data and b"script" not in clean.data
    assert sniff(clean.data) == "png"


# --- clean_image ----------------------------------------------------------------------

def test_clean_copy_of_a_jpeg_has_no_exif_gps_or_xmp(tmp_path):
    data = image_bytes(two_tone(), "JPEG", exif=gps_exif(), xmp=XMP)
    assert {"exif", "gps", "xmp"} <= metadata_names(data)  # the fixture really carries them
    path = write(tmp_path, "photo.jpg", data)
    clean = clean_image(path)
    assert metadata_names(clean.data) == set()
    assert clean.media_type == "image/jpeg" and sniff(clean.data) == "jpeg"
    assert b"54,46.6N" not in clean.data and b"PhoneMaker" not in clean.data
    # The sealed original is untouched.
    assert "gps" in metadata_names(path.read_bytes())


def test_clean_copy_drops_icc_profile_and_png_text(tmp_path):
    from PIL import ImageCms, PngImagePlugin
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    jpeg = image_bytes(two_tone(), "JPEG", icc_profile=icc)
    assert "icc" in metadata_names(jpeg)
    assert metadata_names(clean_image(write(tmp_path, "icc.jpg", jpeg)).data) == set()
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "taken at 12 Example Street")
    png = image_bytes(two_tone(), "PNG", pnginfo=text, icc_profile=icc)
    clean = clean_image(write(tmp_path, "text.png", png))
    assert metadata_names(clean.data) == set()
    assert b"Example Street" not in clean.data


def test_exif_orientation_is_applied(tmp_path):
    data = image_bytes(two_tone((60, 20)), "JPEG", exif=gps_exif(orientation=6))
    clean = clean_image(write(tmp_path, "rotated.jpg", data))
    assert (clean.width, clean.height) == (20, 60)
    with Image.open(io.BytesIO(clean.data)) as img:
        assert img.size == (20, 60)
        # Orientation 6 = rotate 90 clockwise to view: the red left half ends up on top.
        red, _, blue = img.convert("RGB").getpixel((10, 5))
        assert red > 200 and blue < 60


def test_heic_photo_cleans_to_a_jpeg(tmp_path):
    path = tmp_path / "photo.heic"
    two_tone((64, 48)).save(path, format="HEIF", quality=90, exif=gps_exif().tobytes(), xmp=XMP)
    assert sniff(path.read_bytes()[:4096]) == "heif"
    assert "gps" in metadata_names(path.read_bytes())
    clean = clean_image(path)
    assert clean.media_type == "image/jpeg" and (clean.width, clean.height) == (64, 48)
    assert metadata_names(clean.data) == set()
    with Image.open(io.BytesIO(clean.data)) as img:
        assert img.format == "JPEG"


def test_png_with_alpha_stays_png_with_alpha(tmp_path):
    img = Image.new("RGBA", (40, 30), (255, 0, 0, 255))
    img.paste((0, 0, 0, 0), (0, 0, 20, 30))
    clean = clean_image(write(tmp_path, "shot.png", image_bytes(img, "PNG")))
    assert clean.media_type == "image/png"
    with Image.open(io.BytesIO(clean.data)) as out:
        assert out.mode == "RGBA"
        assert out.getpixel((5, 5))[3] == 0 and out.getpixel((30, 5)) == (255, 0, 0, 255)


def test_opaque_webp_becomes_jpeg_and_screenshot_png_stays_png(tmp_path):
    assert clean_image(write(tmp_path, "a.webp", image_bytes(two_tone(), "WEBP"))).media_type == "image/jpeg"
    assert clean_image(write(tmp_path, "b.png", image_bytes(two_tone(), "PNG"))).media_type == "image/png"


def test_animated_gif_gives_its_first_frame_only(tmp_path):
    frames = [Image.new("RGB", (30, 30), colour) for colour in ("red", "lime", "blue")]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(path) as source:
        assert source.n_frames == 3
    clean = clean_image(path)
    with Image.open(io.BytesIO(clean.data)) as img:
        assert getattr(img, "n_frames", 1) == 1
        assert img.convert("RGB").getpixel((15, 15)) == (255, 0, 0)


def test_large_images_are_scaled_to_max_side(tmp_path):
    clean = clean_image(write(tmp_path, "big.jpg", image_bytes(two_tone((3000, 1000)), "JPEG")),
                        max_side=600)
    assert (clean.width, clean.height) == (600, 200)
    with Image.open(io.BytesIO(clean.data)) as img:
        assert img.size == (600, 200)


@pytest.mark.parametrize("width, height", [(30000, 30000), (8000, 8000), (25000, 10)],
                         ids=["over-pillow-bomb-limit", "over-our-pixel-limit", "side-too-long"])
def test_decompression_bombs_are_refused_cheaply(tmp_path, width, height):
    path = write(tmp_path, "bomb.png", png_header_only(width, height))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(BadFile) as from_header:
        image_size(path)
    with pytest.raises(BadFile) as from_clean:
        clean_image(path)
    assert from_header.value.reason == from_clean.value.reason == "too-large"
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 50 * 1024  # 30000 x 30000 decoded would be hundreds of MB


def test_image_size_reads_the_header(tmp_path):
    assert image_size(write(tmp_path, "a.jpg", image_bytes(two_tone((123, 45)), "JPEG"))) == (123, 45)
    assert image_size(write(tmp_path, "hdr.png", png_header_only(5000, 4000))) == (5000, 4000)


def test_truncated_jpeg_is_corrupt(tmp_path):
    noise = Image.frombytes("RGB", (256, 256), os.urandom(256 * 256 * 3))
    data = image_bytes(noise, "JPEG")
    path = write(tmp_path, "cut.jpg", data[: len(data) // 2])
    with pytest.raises(BadFile) as error:
        clean_image(path)
    assert error.value.reason == "corrupt"


@pytest.mark.parametrize("signature", [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a",
                                       b"RIFF\x00\x10\x00\x00WEBPVP8 "],
                         ids=["png", "jpeg", "gif", "webp"])
def test_garbage_after_an_image_signature_is_bad_file(tmp_path, signature):
    for seed in range(20):
        path = write(tmp_path, "x.img", signature + random.Random(seed).randbytes(2000))
        with pytest.raises(BadFile):  # mostly "corrupt"; a GIF's random size may be "too-large"
            clean_image(path)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "HEIF"])
def test_damaged_images_give_bad_file_or_a_clean_copy_and_nothing_else(tmp_path, fmt):
    original = image_bytes(two_tone((48, 32)), fmt)
    for seed in range(60):
        rng = random.Random(seed)
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if seed % 3 == 0:
            data = data[: rng.randrange(1, len(data))]
        path = write(tmp_path, "damaged", bytes(data))
        try:
            clean = clean_image(path)
        except BadFile as error:
            assert error.reason in BadFile.REASONS
        else:
            assert metadata_names(clean.data) == set()


def test_formats_we_do_not_take_are_unsupported_even_if_pillow_reads_them(tmp_path):
    # Pillow opens BMP and TIFF; the worker must not, whatever reached it.
    for fmt in ("BMP", "TIFF"):
        path = write(tmp_path, "x." + fmt.lower(), image_bytes(two_tone(), fmt))
        for function in (clean_image, image_size):
            with pytest.raises(BadFile) as error:
                function(path)
            assert error.value.reason == "unsupported"


def test_truncated_images_setting_is_never_trusted(tmp_path, monkeypatch):
    from PIL import ImageFile
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError):
        clean_image(write(tmp_path, "a.png", image_bytes(two_tone(), "PNG")))


# --- pdf_previews ---------------------------------------------------------------------

def test_two_page_pdf_renders_two_pngs_within_the_width(tmp_path):
    preview = pdf_previews(write(tmp_path, "letter.pdf", pdf_bytes(pages=2)))
    assert preview.pages == 2 and len(preview.images) == 2
    assert preview.has_javascript is False
    for png in preview.images:
        assert sniff(png) == "png" and metadata_names(png) == set()
        with Image.open(io.BytesIO(png)) as img:
            assert img.width == 1200 and abs(img.height - 842 * 1200 / 595) < 1.5
            # The black square really was drawn: 72..272 pt from the bottom left.
            scale = 1200 / 595
            assert img.convert("L").getpixel((int(150 * scale), img.height - int(150 * scale))) < 50
            assert img.convert("L").getpixel((img.width - 20, 20)) > 200


def test_pdf_preview_width_and_max_pages(tmp_path):
    preview = pdf_previews(write(tmp_path, "long.pdf", pdf_bytes(pages=4)), max_pages=3, width=300)
    assert preview.pages == 4 and len(preview.images) == 3
    for png in preview.images:
        with Image.open(io.BytesIO(png)) as img:
            assert img.width == 300


def test_absurdly_tall_page_is_capped(tmp_path):
    data = pdf_bytes(pages=1).replace(b"[0 0 595 842]", b"[0 0 10 14000]")
    preview = pdf_previews(write(tmp_path, "tall.pdf", data), width=1200)
    with Image.open(io.BytesIO(preview.images[0])) as img:
        assert img.height <= 1200 * inspect.MAX_PAGE_ASPECT and img.width <= 1200


def test_javascript_pdf_is_flagged(tmp_path):
    data = pdf_bytes(catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ")
    preview = pdf_previews(write(tmp_path, "js.pdf", data))
    assert preview.has_javascript is True and preview.pages == 2


def test_javascript_hidden_behind_name_escapes_is_flagged(tmp_path):
    data = pdf_bytes(page_extra=b"/AA << /O << /S /J#61vaScript /J#53 (app.alert(1)) >> >> ")
    assert b"/JavaScript" not in data and b"/JS" not in data
    assert pdf_previews(write(tmp_path, "js.pdf", data)).has_javascript is True


def test_javascript_inside_a_compressed_object_stream_is_flagged(tmp_path):
    plain = pdf_with_object_stream()
    assert pdf_previews(write(tmp_path, "plain.pdf", plain)).pages == 1  # pdfium reads it
    assert pdf_previews(write(tmp_path, "plain.pdf", plain)).has_javascript is False
    data = pdf_with_object_stream(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ")
    assert b"JavaScript" not in data  # invisible to a search of the raw bytes
    assert pdf_previews(write(tmp_path, "hidden.pdf", data)).has_javascript is True


def test_document_level_javascript_is_flagged(tmp_path):
    # Objects: catalog 1, page tree 2, font 3, pages 4-5, content 6, then these 7 and 8.
    data = pdf_bytes(catalog_extra=b"/Names << /J#61vaScript 7 0 R >> ", extra_objects=[
        b"<< /Names [(hello) 8 0 R] >>", b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"])
    assert pdf_previews(write(tmp_path, "names.pdf", data)).has_javascript is True


def test_corrupt_pdf_is_bad_file(tmp_path):
    with pytest.raises(BadFile) as error:
        pdf_previews(write(tmp_path, "bad.pdf", b"%PDF-1.7\n" + os.urandom(3000)))
    assert error.value.reason == "corrupt"


def test_pdf_with_no_pages_is_corrupt(tmp_path):
    data = pdf_bytes(pages=0)
    with pytest.raises(BadFile) as error:
        pdf_previews(write(tmp_path, "empty.pdf", data))
    assert error.value.reason == "corrupt"


def test_password_protected_pdf_is_encrypted(tmp_path):
    # A standard security handler whose user password is not empty: pdfium cannot open it.
    encrypt = (b"<< /Filter /Standard /V 1 /R 2 /P -4 /O <" + os.urandom(32).hex().encode()
               + b"> /U <" + os.urandom(32).hex().encode() + b"> >>")
    file_id = os.urandom(16).hex().encode()
    # Objects: catalog 1, page tree 2, font 3, page 4, content 5, the dictionary 6.
    data = pdf_bytes(pages=1, extra_objects=[encrypt],
                     trailer_extra=b"/Encrypt 6 0 R /ID [<" + file_id + b"><" + file_id + b">] ")
    with pytest.raises(BadFile) as error:
        pdf_previews(write(tmp_path, "locked.pdf", data))
    assert error.value.reason == "encrypted"
