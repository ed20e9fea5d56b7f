"""Evidence files made in code for the tests: photos with a location in their EXIF, small
PDFs, the EICAR test file. Nothing here is read from disk."""
import io
import struct
import zlib

from PIL import Image

XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
       b'exif:GPSLatitude="54,46.6N"/></rdf:RDF></x:xmpmeta>')


# --- Fixture makers -------------------------------------------------------------------

def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def image_bytes(img, fmt, **params):
    out = io.BytesIO()
    img.save(out, format=fmt, **params)
    return out.getvalue()


def two_tone(size=(60, 20)):
    """Red left half, blue right half: orientation and scaling show in the pixels."""
    img = Image.new("RGB", size, "blue")
    img.paste("red", (0, 0, size[0] // 2, size[1]))
    return img


def gps_exif(orientation=None):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (54.0, 46.0, 36.0), 3: "W", 4: (1.0, 34.0, 30.0)})
    return exif


def png_header_only(width, height, mode_bits=(1, 0)):
    """A PNG declaring width x height with almost no data: a decompression bomb's shape."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    depth, colour = mode_bits
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def pdf_bytes(pages=2, catalog_extra=b"", page_extra=b"", trailer_extra=b"", extra_objects=()):
    """A small valid PDF: each page is A4 with a black square and a line of text."""
    content = b"BT /F1 24 Tf 72 720 Td (Evidence page) Tj ET 0 0 0 rg 72 72 200 200 re f"
    first_page = 4
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    content_obj = first_page + pages
    for _ in range(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources "
                       b"<< /Font << /F1 3 0 R >> >> /Contents %d 0 R " % content_obj
                       + page_extra + b">>")
    objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.extend(extra_objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += (b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer_extra
            + b">>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return bytes(out)


def jpeg_with_gps(size=(64, 48), orientation=None, xmp=True):
    """A photo as a phone saves it: EXIF with the maker and a GPS position, and XMP."""
    return image_bytes(two_tone(size), "JPEG", exif=gps_exif(orientation), **({"xmp": XMP} if xmp else {}))
