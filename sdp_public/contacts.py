"""Contact details and the support directory, loaded from content/*.toml.

Every phone number, email and web address the site shows comes from
content/contacts.toml, which records each one's source and whether the partnership must
confirm it. Pages refer to contacts by id; they never write one out.
"""
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    source: str
    confirm: bool
    phone: str = ""
    text: str = ""
    email: str = ""
    url: str = ""
    hours: str = ""
    confirm_note: str = ""

    @property
    def tel(self):
        """The number as a tel: URI (digits only, + kept)."""
        return "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")

    @property
    def url_label(self):
        return self.url.removeprefix("https://").removeprefix("www.").rstrip("/")

    @property
    def has_details(self):
        return bool(self.phone or self.text or self.email or self.url)


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    contact: Contact
    needs: tuple = field(default_factory=tuple)


def load_contacts(content_dir):
    with open(Path(content_dir) / "contacts.toml", "rb") as f:
        raw = tomllib.load(f)
    fields = set(Contact.__dataclass_fields__) - {"id"}
    return {cid: Contact(id=cid, **{k: v for k, v in entry.items() if k in fields})
            for cid, entry in raw.items()}


def load_services(content_dir, contacts):
    path = Path(content_dir) / "support.toml"
    if not path.exists():
        return ()
    with open(path, "rb") as f:
        raw = tomllib.load(f).get("service", [])
    return tuple(Service(id=s["id"], name=s["name"], contact=contacts[s["contact"]],
                         needs=tuple(s.get("needs", ()))) for s in raw)
