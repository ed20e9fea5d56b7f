"""Requests: a translated summary or another format, and an awareness session booking.
The same engine as reports; contact details are required here, as we must reply."""
from flask_babel import lazy_gettext as _l
from ..forms import SiteForm
from wtforms import BooleanField
from wtforms.validators import StopValidation

from .. import languages
from .common import INTERPRETER_FIELDS, INTERPRETER_REVEAL, InterpreterMixin, ReachableMixin, valid_email, valid_phone
from .fields import Required, choice_field, long_text_field, text_field
from .flow import Flow, Step
from .recipients import consent_context, consent_key

DOCUMENTS = (("plan-summary", _l("A summary of the Safe Durham Partnership Plan")),
             ("leaflet", _l("A campaign leaflet")), ("web-page", _l("A page of this website")),
             ("other", _l("Something else")))
NEEDS = (("language", _l("Another language")), ("braille", _l("Braille")), ("audio", _l("Audio")),
         ("large-print", _l("Large print")), ("easy-read", _l("Easy read")),
         ("bsl", _l("British Sign Language video")), ("other-format", _l("Another format")))
DELIVERY = (("email", _l("By email")), ("post", _l("By post")))
ORGANISATIONS = (("community-group", _l("A community group")), ("school", _l("A school or college")),
                 ("business", _l("A business")), ("other", _l("Another kind of organisation")))
TOPICS = (("friends-against-scams", _l("Friends Against Scams: spotting and stopping scams")),
          ("cyber", _l("Cyber awareness: staying safe online")),
          ("hate-hurts", _l("Hate Hurts: recognising and reporting hate crime")))
VENUES = (("in-person", _l("In person")), ("online", _l("Online")))


def language_we_publish(answers):
    """The Language matching what they typed ("Polish", "polski", "pl"), if we publish in it."""
    wanted = str(answers.get("language") or "").strip().casefold()
    for lang in languages.LANGUAGES:
        if lang.code != "en" and wanted in {lang.code, lang.name.casefold(), lang.english.casefold()}:
            return lang
    return None


class DocumentForm(SiteForm):
    document = choice_field(_l("What would you like?"), DOCUMENTS, _l("Select what you would like"))


class DocumentDetailForm(SiteForm):
    document_detail = long_text_field(_l("Which leaflet, page or document?"), 500,
                                      _l("Tell us which leaflet, page or document"))


class NeedForm(SiteForm):
    need = choice_field(_l("Which language or format do you need?"), NEEDS, _l("Select the language or format you need"))


class LanguageForm(SiteForm):
    language = text_field(_l("Which language?"), 100, _l("Enter the language you need"))


class FormatOtherForm(SiteForm):
    format_other = long_text_field(_l("Which format?"), 500, _l("Tell us the format you need"))


class AlreadyHereForm(SiteForm):
    """An interruption page: these pages already exist in their language."""


class DeliveryForm(SiteForm):
    delivery = choice_field(_l("How should we send it to you?"), DELIVERY, _l("Select how we should send it"))


class RequesterForm(InterpreterMixin, SiteForm):
    name = text_field(_l("Your name"), 200, _l("Enter your name"))
    email = text_field(_l("Email address"), 254, extra=[valid_email])
    address = long_text_field(_l("Postal address"), 500)
    phone = text_field(_l("Phone number (optional)"), 40, extra=[valid_phone])


def requester_matches_delivery(form, answers):
    """An email address to email it; a postal address to post it."""
    ok = True
    if answers.get("delivery") == "email" and not form.email.data and not form.email.errors:
        form.email.errors.append(_l("Enter your email address, so we can email it to you"))
        ok = False
    if answers.get("delivery") == "post" and not form.address.data and not form.address.errors:
        form.address.errors.append(_l("Enter your postal address, so we can post it to you"))
        ok = False
    return ok


class AccessNeedsForm(SiteForm):
    access_needs = long_text_field(_l("Do you have any access needs we should know about? (optional)"), 1000)


class RequestConsentForm(SiteForm):
    consent = BooleanField(_l("I agree"), validators=[Required(_l("Select that you agree, so we can send your request"))])


class OrganisationTypeForm(SiteForm):
    organisation_type = choice_field(_l("Who is the session for?"), ORGANISATIONS, _l("Select who the session is for"))


class OrganisationForm(SiteForm):
    organisation = text_field(_l("Name of your group or organisation"), 200, _l("Enter the name of your group or organisation"))


class TopicForm(SiteForm):
    topic = choice_field(_l("Which session would you like?"), TOPICS, _l("Select a session"))


class GroupSizeForm(SiteForm):
    group_size = text_field(_l("About how many people will come?"), 10, _l("Enter about how many people will come"))

    def validate_group_size(self, field):
        if not field.data.isdigit() or not 1 <= int(field.data) <= 1000:
            raise StopValidation(_l("Enter a number of people between 1 and 1000"))


class DatesForm(SiteForm):
    dates = long_text_field(_l("Which dates and times would suit you?"), 500, _l("Tell us which dates and times would suit you"))


class VenueForm(SiteForm):
    venue = choice_field(_l("Where would you like the session?"), VENUES, _l("Select in person or online"))


class VenueAddressForm(SiteForm):
    venue_address = long_text_field(_l("Where will the session be?"), 500, _l("Enter where the session will be"))


class BookerForm(InterpreterMixin, ReachableMixin, SiteForm):
    name = text_field(_l("Your name"), 200, _l("Enter your name"))
    email = text_field(_l("Email address"), 254, extra=[valid_email])
    phone = text_field(_l("Phone number"), 40, extra=[valid_phone])


TRANSLATION = Flow(
    slug="translation-or-format", kind="request", reference_prefix="RQ", start_content="request/translation-or-format",
    title=_l("Ask for another language or format"),
    statistics=lambda a: ("", [a.get("need", "")]),
    steps=[
        Step("document", DocumentForm, _l("What would you like?"), answers=("document",)),
        Step("document-detail", DocumentDetailForm, _l("Which leaflet, page or document?"), answers=("document_detail",),
             show_if=lambda a: a.get("document") not in (None, "plan-summary")),
        Step("need", NeedForm, _l("Which language or format do you need?"), answers=("need",)),
        Step("language", LanguageForm, _l("Which language?"), answers=("language",),
             show_if=lambda a: a.get("need") == "language",
             hint=_l("Any language, not only the ones this website is in.")),
        Step("already-here", AlreadyHereForm, _l("Some pages are already in your language"), interruption=True,
             show_if=lambda a: a.get("need") == "language" and language_we_publish(a) is not None,
             template="report/request_already_here.html", context=lambda a: {"published": language_we_publish(a)},
             context_key=lambda a: getattr(language_we_publish(a), "code", None)),
        Step("format-other", FormatOtherForm, _l("Which format?"), answers=("format_other",),
             show_if=lambda a: a.get("need") == "other-format"),
        Step("delivery", DeliveryForm, _l("How should we send it to you?"), answers=("delivery",)),
        Step("requester", RequesterForm, _l("Your contact details"), answers=("name", "email", "address", "phone", *INTERPRETER_FIELDS),
             reveal=INTERPRETER_REVEAL, hint=_l("We need these to send you what you asked for."), cross_check=requester_matches_delivery),
        Step("access-needs", AccessNeedsForm, _l("Access needs"), answers=("access_needs",), optional=True),
        Step("consent", RequestConsentForm, _l("Sending your request"), answers=("consent",),
             template="report/consent.html", context=consent_context("translation-or-format"),
             context_key=consent_key("translation-or-format")),
    ],
)
TRANSLATION_CONTACT = ("name", "email", "address", "phone", *INTERPRETER_FIELDS)

AWARENESS = Flow(
    slug="awareness-session", kind="request", reference_prefix="AS", start_content="request/awareness-session",
    title=_l("Book an awareness session"),
    statistics=lambda a: ("", [a.get("topic", "")]),
    steps=[
        Step("organisation-type", OrganisationTypeForm, _l("Who is the session for?"), answers=("organisation_type",)),
        Step("organisation", OrganisationForm, _l("Name of your group or organisation"), answers=("organisation",)),
        Step("topic", TopicForm, _l("Which session would you like?"), answers=("topic",)),
        Step("group-size", GroupSizeForm, _l("About how many people will come?"), answers=("group_size",)),
        Step("dates", DatesForm, _l("Which dates and times would suit you?"), answers=("dates",),
             hint=_l("For example, weekday mornings in March, or any Tuesday evening.")),
        Step("venue", VenueForm, _l("Where would you like the session?"), answers=("venue",)),
        Step("venue-address", VenueAddressForm, _l("Where will the session be?"), answers=("venue_address",),
             show_if=lambda a: a.get("venue") == "in-person"),
        Step("booker", BookerForm, _l("Your contact details"), answers=("name", "email", "phone", *INTERPRETER_FIELDS),
             reveal=INTERPRETER_REVEAL, hint=_l("Give at least an email address or a phone number.")),
        Step("consent", RequestConsentForm, _l("Sending your request"), answers=("consent",),
             template="report/consent.html", context=consent_context("awareness-session"),
             context_key=consent_key("awareness-session")),
    ],
)
AWARENESS_CONTACT = ("name", "email", "phone", *INTERPRETER_FIELDS)
