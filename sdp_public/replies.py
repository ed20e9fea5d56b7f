"""Reply templates: messages a partner can send a reporter that the reporter reads in their
own language (all thirteen), at /<lang>/track.

A partner writes in English. A free-text message reaches the reporter as written, marked as
English; a template reaches them translated, because its words are a msgid in every catalog
and its few parameters need no translation: a phone number (checked like the forms' phone
numbers), a date (written out by Babel in the reader's locale) or a choice from a fixed,
translated list.

An event body (sealed JSON, see services/sealing.py) is one of
    {"template": "<slug>", "params": {"<name>": "<value>", ...}}   values are strings:
        phone as typed, date as ISO "YYYY-MM-DD", choice as the choice's value
    {"text": "<what the partner wrote>", "lang": "en"}
Older events hold {"text": ...} alone, which means English too.

A slug is stored in sealed events for as long as the report is kept: never rename or remove
one (retire it from TEMPLATES' choices in the partner form instead), and never change a
template's meaning under the same slug. Rewording is fine: readers see the current words.
"""
import datetime
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l

from .report.common import phone_problem
from .report.fields import _CONTROL


class ReplyError(ValueError):
    """A template or parameter that cannot be sent; `field` names the form field to blame
    ("template" or a parameter's name) and `message` says what to do, in English (partner
    pages are in English)."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message


# Only what a phone number is written with: the number is shown to the reporter as typed.
_PHONE_CHARACTERS = re.compile(r"^[0-9 +()\-]+$")
_WINDOW_DAYS = 366


@dataclass(frozen=True)
class Param:
    name: str                # its key in the event's params, and the partner form's field
    kind: str                # "phone", "date" or "choice"
    label: str               # English, for the partner form
    choices: tuple = ()      # "choice": (value, lazy label, English label for the form)
    when: str = ""           # "date": "past" (today or before) or "future" (today or after)

    def clean(self, value, today=None):
        """The value to store (a string), or ReplyError. `today` None: the date's window
        is not checked (a stored message stays readable after its date has passed)."""
        value = "" if value is None else value  # a select left on its first option
        if not isinstance(value, str):
            raise ReplyError(self.name, f"Enter the {self.label.lower()} as text")
        if _CONTROL.search(value):
            raise ReplyError(self.name, f"Remove the unusual characters from the {self.label.lower()}")
        value = unicodedata.normalize("NFC", value).strip()
        if self.kind == "phone":
            return self._phone(value)
        if self.kind == "date":
            return self._date(value, today).isoformat()
        if value not in {choice[0] for choice in self.choices}:
            raise ReplyError(self.name, f"Select the {self.label.lower()}")
        return value

    def _phone(self, value):
        if not value:
            raise ReplyError(self.name, "Enter the phone number the reporter should call")
        if len(value) > 40 or not _PHONE_CHARACTERS.match(value) or phone_problem(value):
            raise ReplyError(self.name, "Enter a phone number using only numbers, spaces, brackets, "
                                        "hyphens and +, like 01632 960 001 or +44 7700 900 982")
        return value

    def _date(self, value, today):
        if not value:
            raise ReplyError(self.name, "Enter the date")
        moment = None
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):  # a date input sends ISO; people type 27/3/2026
            try:
                moment = datetime.datetime.strptime(value, pattern).date()
                break
            except ValueError:
                continue
        if moment is None:
            raise ReplyError(self.name, "Enter a real date, like 27/3/2026")
        if today is None:
            return moment
        if self.when == "past" and not today - datetime.timedelta(days=_WINDOW_DAYS) <= moment <= today:
            raise ReplyError(self.name, "The date must be today or in the past year")
        if self.when == "future" and not today <= moment <= today + datetime.timedelta(days=_WINDOW_DAYS):
            raise ReplyError(self.name, "The date must be today or within the next year")
        return moment

    def render(self, value):
        """The value as the reader sees it, in the current locale."""
        if self.kind == "phone":
            # Isolated left to right: in an Arabic or Urdu sentence the groups of digits
            # would otherwise be laid out right to left ("001 960 01632").
            return f"\u2066{value}\u2069" if get_locale() and get_locale().text_direction == "rtl" else value
        if self.kind == "date":
            return format_date(datetime.date.fromisoformat(value), "full")
        return str(dict((choice[0], choice[1]) for choice in self.choices)[value])


TIMES = (
    ("weekdays-9-to-5", _l("Monday to Friday, 9am to 5pm"), "Monday to Friday, 9am to 5pm"),
    ("weekdays-8-to-8", _l("Monday to Friday, 8am to 8pm"), "Monday to Friday, 8am to 8pm"),
    ("every-day-9-to-5", _l("any day of the week, 9am to 5pm"), "Any day of the week, 9am to 5pm"),
    ("any-time", _l("at any time, day or night"), "At any time, day or night"),
)
DETAILS = (
    ("when", _l("when it happened (the date and time)"), "When it happened"),
    ("where", _l("where it happened (the street or place)"), "Where it happened"),
    ("person", _l("a description of the person or people who did it"), "A description of the person"),
    ("what", _l("what was said or done"), "What was said or done"),
    ("witnesses", _l("who else saw it, if anyone did"), "Who else saw it"),
    ("evidence", _l("whether you have any photos, videos, screenshots or messages"), "Photos, videos, screenshots or messages"),
    ("contact", _l("a safe way and time for us to contact you"), "A safe way and time to contact them"),
)

PHONE = Param("phone", "phone", "Phone number for the reporter to call")
CALL_TIMES = Param("times", "choice", "Best time to call", choices=TIMES)
DETAIL = Param("detail", "choice", "Information we need", choices=DETAILS)
CALLED_ON = Param("date", "date", "Date", when="past")
MEET_ON = Param("date", "date", "Date", when="future")


@dataclass(frozen=True)
class Template:
    slug: str      # stored in events: stable for ever
    title: str     # English, the partner form's choice
    text: object   # lazy msgid, with a %(name)s placeholder for each parameter
    params: tuple = ()


TEMPLATES = {t.slug: t for t in (
    Template("received-passed-to-neighbourhood-team", "We have received your report and passed it to the neighbourhood team",
             _l("We have received your report and passed it to the neighbourhood team for your area. Thank you for telling us.")),
    Template("please-call-us", "Please call us (phone number and times)",
             _l("Please call us on %(phone)s. The best time to call is: %(times)s. Tell us your report reference when you call."),
             (PHONE, CALL_TIMES)),
    Template("need-more-information", "We need more information (choose what)",
             _l("We need more information to help with your report: %(detail)s. You can add it to your report on this page."),
             (DETAIL,)),
    Template("tried-to-call", "We tried to call you (date and phone number)",
             _l("We tried to call you on %(date)s but could not reach you. Please call us on %(phone)s, or add a better time to contact you to your report on this page."),
             (CALLED_ON, PHONE)),
    Template("meeting-offered", "We would like to meet you (date and phone number)",
             _l("We would like to meet you on %(date)s to talk about your report. Please call us on %(phone)s to agree a time and place, or to ask for another day."),
             (MEET_ON, PHONE)),
    Template("interpreter-arranged", "We will arrange an interpreter",
             _l("We will arrange an interpreter for you when we contact you.")),
    Template("referred-to-victim-support", "We have passed your details to the Victim Care and Advice Service",
             _l("As you asked, we have passed your details to the Victim Care and Advice Service. They will contact you to offer support. Their support is free and confidential.")),
    Template("keep-evidence", "Advice: keep anything that shows what happened",
             _l("Please keep anything that could help show what happened, such as messages, letters, photos, videos or screenshots, and write down the dates and times. Do not delete them, even if they are upsetting.")),
    Template("if-it-happens-again", "If it happens again, tell us",
             _l("If anything else happens, please tell us straight away. You can add to this report on this page, or make a new report. If you are in danger now, call 999.")),
    Template("case-closed", "We have closed your report: thank you",
             _l("We have finished our work on your report and closed it. Thank you for telling us. If anything else happens, you can make a new report on this website at any time.")),
)}


def clean(slug, params, today=None):
    """(Template, params to store) for what a partner chose; ReplyError if it cannot be sent.
    Only the template's own parameters are read and kept. Dates are checked against
    `today` when it is given (when a partner sends), never when a stored message is read."""
    template = TEMPLATES.get(slug) if isinstance(slug, str) else None
    if template is None:
        raise ReplyError("template", "Choose one of the reply templates")
    if not isinstance(params, dict):
        raise ReplyError("template", "The template's details are missing")
    return template, {p.name: p.clean(params.get(p.name, ""), today) for p in template.params}


def render(body):
    """(text, lang) for a message-to-reporter event body, in the current locale.

    A template: its translated text with its parameters, lang None (it is in the reader's
    language). Free text: as written, lang "en". None for a body we cannot show (a retired
    slug or a parameter that no longer checks): the caller says so rather than guess."""
    if not isinstance(body, dict):
        return None
    if "template" in body:
        try:
            template, params = clean(body.get("template"), body.get("params"))
        except ReplyError:
            return None
        values = {p.name: p.render(params[p.name]) for p in template.params}
        return str(template.text) % values if values else str(template.text), None
    text = body.get("text")
    return (text, body.get("lang") or "en") if isinstance(text, str) and text else None
