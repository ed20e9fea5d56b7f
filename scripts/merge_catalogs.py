"""Merge gettext catalogs entry by entry when a git merge conflicts in them.

Line-based merging (git's default, or merge=union) can splice one entry's text into
another's: a union merge once put an English msgid inside an Arabic msgstr. This reads both
sides of each conflicted .po/.pot with Babel and writes every message of either side, the
translation taken from ours unless ours is empty. Then run `make update-catalogs catalogs`.

    git merge other-branch            # conflicts in sdp_public/translations/...
    .venv/bin/python scripts/merge_catalogs.py
    make update-catalogs catalogs && .venv/bin/python scripts/check_catalogs.py
    git add sdp_public/translations && git commit

With arguments, merges those paths instead, from OURS and THEIRS (git revisions, default the
index's stages :2 and :3): `OURS=HEAD THEIRS=branch scripts/merge_catalogs.py path.po ...`.
"""
import io
import os
import subprocess
import sys

from babel.messages.pofile import read_po, write_po


def version(revision, path):
    spec = f":{revision}:{path}" if revision in ("2", "3") else f"{revision}:{path}"
    return read_po(io.BytesIO(subprocess.run(["git", "show", spec], capture_output=True, check=True).stdout))


def translated(message):
    return any(message.string) if isinstance(message.string, (list, tuple)) else bool(message.string)


def merge(path, ours_rev, theirs_rev):
    ours, theirs = version(ours_rev, path), version(theirs_rev, path)
    for message in theirs:
        if not message.id:
            continue  # the header: ours is kept
        mine = ours.get(message.id, message.context)
        if mine is None:
            ours[message.id] = message
        elif not translated(mine):
            mine.string = message.string
    out = io.BytesIO()
    write_po(out, ours, width=76, sort_output=True)
    with open(path, "wb") as target:
        target.write(out.getvalue())
    return len(ours)


def main(paths):
    ours_rev, theirs_rev = os.environ.get("OURS", "2"), os.environ.get("THEIRS", "3")
    if not paths:
        conflicted = subprocess.run(["git", "diff", "--name-only", "--diff-filter=U"], capture_output=True,
                                    text=True, check=True).stdout.split()
        paths = [p for p in conflicted if p.endswith((".po", ".pot"))]
    for path in paths:
        print(f"merged {path}: {merge(path, ours_rev, theirs_rev)} messages")


if __name__ == "__main__":
    main(sys.argv[1:])
