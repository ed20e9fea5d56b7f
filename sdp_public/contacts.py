"""Contact details and the support directory, loaded from content/*.toml.

Every phone number, email and web address the site shows comes from
content/contacts.toml, which records each one's source and whether the partnership must
confirm it. Pages refer to contacts by id; they never write one out.
"""
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext


def N_(message):
    """Mark a string for `make extract` (keyword N_) without translating it here."""
    return message


# The words on a contact card that are not a contact detail: opening hours, and the names
# that describe a line rather than being an organisation's own name. They are gettext
# msgids, not per-language fields in contacts.toml, because:
# - they are a handful of short phrases shared by many contacts ("24 hours a day, free"),
#   so each is translated once, not once per contact and language;
# - the catalogs already have the checks a translation needs (scripts/check_catalogs.py and
#   the suite fail on an empty, fuzzy or missing entry), and translators already work there;
# - contacts.toml stays one language-neutral record of each detail and its source.
# An organisation's own name ("Samaritans", "Victim Support") stays in English, as every
# page writes it (docs/translating.md), so a reader can say and search it; where a name
# carries a description in brackets, the description is translated with the name.
# tests/test_content.py fails if a contact's hours, or a name written as a description,
# is missing here.
CARD_WORDS = frozenset((
    # hours
    N_("24 hours a day, 7 days a week"),
    N_("24 hours a day, free"),
    N_("24 hours a day, every day, free"),
    # names that describe the line
    N_("Emergency services"),
    N_("Emergency services by text relay (Relay UK)"),
    N_("Police non-emergency"),
    N_("Prevent and Channel referrals (Durham County Council)"),
    N_("True Vision (police hate crime reporting)"),
    N_("159 (call your bank safely)"),
    N_("Report scam texts"),
    N_("CEOP (National Crime Agency child protection)"),
    N_("Citizens Advice consumer helpline"),
    # names in the support directory (support.toml) that describe the line
    N_("Durham Constabulary (police non-emergency)"),
    N_("159 bank scam line"),
    N_("Scam text reporting (7726)"),
))


def _in_reader_language(words):
    return gettext(words) if words in CARD_WORDS else words


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
    def display_name(self):
        """The name as the reader's language shows it (an organisation's own name stays)."""
        return _in_reader_language(self.name)

    @property
    def display_hours(self):
        return _in_reader_language(self.hours) if self.hours else ""

    @property
    def has_details(self):
        return bool(self.phone or self.text or self.email or self.url)


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    contact: Contact
    needs: tuple = field(default_factory=tuple)

    @property
    def display_name(self):
        return _in_reader_language(self.name)


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
