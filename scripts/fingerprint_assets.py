"""Give every built asset a content-hashed name and a gzip twin, and write a manifest.

    python scripts/fingerprint_assets.py sdp_public/static/build

A hashed name (app.3f2a9c1b7d4e.css) never changes meaning, so it is served with a year's
cache and `immutable`: a returning visitor downloads nothing but the HTML. JavaScript
modules import each other by name, so the imported files are hashed first and the
importers' `import ... from './x.js'` lines rewritten to the hashed names before they in
turn are hashed. The plain names stay too (five minutes' cache) for anything old.
"""
import gzip
import hashlib
import json
import re
import sys
from pathlib import Path

IMPORT = re.compile(r"""(from\s+['"]\./)([\w.-]+\.js)(['"])""")


def hashed_name(path, data):
    digest = hashlib.sha256(data).hexdigest()[:12]
    return f"{path.stem}.{digest}{path.suffix}"


def write_gzip(path):
    data = path.read_bytes()
    with open(path.with_name(path.name + ".gz"), "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as out:
            out.write(data)


def main(build):
    build = Path(build)
    manifest = {}
    sources = sorted(p for p in build.iterdir() if p.suffix in (".css", ".js") and p.is_file())
    # modules that import nothing first, then their importers (one level is all we have)
    order = sorted(sources, key=lambda p: bool(IMPORT.search(p.read_text(encoding="utf-8"))) if p.suffix == ".js" else False)
    for path in order:
        text = path.read_bytes()
        if path.suffix == ".js":
            text = IMPORT.sub(lambda m: m.group(1) + manifest.get(m.group(2), m.group(2)) + m.group(3),
                              text.decode("utf-8")).encode("utf-8")
        name = hashed_name(path, text)
        (build / name).write_bytes(text)
        manifest[path.name] = name
    for path in list(build.iterdir()):
        if path.suffix in (".css", ".js", ".svg"):
            write_gzip(path)
    (build / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"fingerprinted {len(manifest)} assets")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sdp_public/static/build")
