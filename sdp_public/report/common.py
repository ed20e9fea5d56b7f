"""Questions every flow asks the same way: when, contact (or anonymous), contact details,
consent. Shared so a fix to one (say, phone validation) reaches every form."""
import datetime

import email_validator
import phonenumbers
from flask import g
from flask_babel import lazy_gettext as _l
from ..forms import SiteForm
from wtforms import BooleanField, SelectField
from wtforms.validators import StopValidation, ValidationError

from .. import languages
from .fields import Required, TextField, choice_field, long_text_field, strip_text, text_field

YES_NO = (("yes", _l("Yes")), ("no", _l("No")))
YES_NO_NOT_SURE = (("yes", _l("Yes")), ("no", _l("No")), ("not-sure", _l("I'm not sure")))
CONTACT = (("anonymous", _l("No, I want to stay anonymous")), ("details", _l("Yes, I will give my contact details")))
WHEN = (("date", _l("I know the date, or roughly when")), ("not-sure", _l("I'm not sure")))


def email_problem(value):
    """None if the address is well formed (no DNS lookup: the form must work offline)."""
    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return _l("Enter an email address in the correct format, like name@example.com")
    return None


def phone_problem(value):
    """None if the number is a possible phone number (UK by default; +country for others)."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return _l("Enter a phone number, like 01632 960 001 or +44 7700 900 982")
    if not phonenumbers.is_possible_number(number) or any(ch.isalpha() for ch in value):
        return _l("Enter a phone number, like 01632 960 001 or +44 7700 900 982")
    return None


def valid_email(form, field):
    """A field validator: an optional email address, checked only when given."""
    problem = email_problem(field.data) if field.data else None
    if problem:
        raise ValidationError(problem)


def valid_phone(form, field):
    """A field validator: an optional phone number, checked only when given."""
    problem = phone_problem(field.data) if field.data else None
    if problem:
        raise ValidationError(problem)


class ReachableMixin:
    """At least an email address or a phone number: checked on the whole form, because
    both fields may be empty (field validators stop at an empty optional field)."""

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not self.email.data and not self.phone.data and not self.email.errors:
            self.email.errors.append(_l("Enter an email address or a phone number"))
            valid = False
        return valid


def _page_language_or_none():
    """The interpreter language offered first: the language the form is being filled in
    (the report's language), unless that is English."""
    lang = g.get("lang")
    return lang.code if lang is not None and lang.code != languages.DEFAULT.code else ""


def interpreter_language_choices():
    """Our twelve other languages, each in its own name (as the language switcher shows them)."""
    return [("", _l("Choose a language"))] + [(lang.code, lang.name) for lang in languages.LANGUAGES[1:]]


class InterpreterMixin:
    """"Would you like an interpreter when we contact you?", on every page that takes contact
    details, stored with them (sealed). The language starts as the page's own (the language
    of the report) and can be changed to another of ours; it is kept only with a yes."""

    interpreter = choice_field(_l("Would you like an interpreter when we contact you?"), YES_NO,
                               _l("Select yes if you would like an interpreter"))
    interpreter_language = SelectField(_l("If you would like an interpreter, which language?"),
                                       choices=interpreter_language_choices,
                                       default=_page_language_or_none, validate_choice=False)

    def validate_interpreter_language(self, field):
        if self.interpreter.data != "yes":
            field.data = ""  # no interpreter: no language is stored
            raise StopValidation()
        if not isinstance(field.data, str) or languages.get(field.data) in (None, languages.DEFAULT):
            field.data = ""
            raise StopValidation(_l("Select the language you would like an interpreter for"))


# The answers the interpreter question adds to a contact step. The language is a question of
# its own just after, not a conditional reveal: GOV.UK Frontend's radios set aria-expanded on
# the radio inputs when they reveal, which ARIA does not allow on a radio (axe
# aria-allowed-attr, critical); checkboxes may reveal, radios may not.
INTERPRETER_FIELDS = ("interpreter", "interpreter_language")
INTERPRETER_REVEAL = {}


class WhenForm(SiteForm):
    when_known = choice_field(_l("When did it happen?"), WHEN, _l("Select if you know when it happened"))


class WhenDateForm(SiteForm):
    when_day = TextField(_l("Day"), filters=[strip_text])
    when_month = TextField(_l("Month"), filters=[strip_text])
    when_year = TextField(_l("Year"), filters=[strip_text])
    when_approximate = BooleanField(_l("This date is approximate"))

    def validate_when_day(self, field):
        parts = (self.when_day.data, self.when_month.data, self.when_year.data)
        if not any(parts):
            raise StopValidation(_l("Enter the date it happened, or go back and select that you are not sure"))
        if not all(p and p.isdigit() and len(p) <= 4 for p in parts):
            raise StopValidation(_l("Enter the date as numbers, for example 27 3 2026"))
        try:
            moment = datetime.date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            raise StopValidation(_l("Enter a real date, for example 27 3 2026")) from None
        if moment > datetime.date.today():
            raise StopValidation(_l("The date must be today or in the past"))
        if moment.year < 1900:
            raise StopValidation(_l("Enter a year after 1900"))


class ContactForm(SiteForm):
    contact = choice_field(_l("Can we contact you about your report?"), CONTACT, _l("Select if we can contact you"))


class ContactDetailsForm(InterpreterMixin, ReachableMixin, SiteForm):
    name = text_field(_l("Your name"), 200, _l("Enter your name"))
    email = text_field(_l("Email address"), 254, extra=[valid_email])
    phone = text_field(_l("Phone number"), 40, extra=[valid_phone])
    safe_times = text_field(_l("When is it safe to contact you? (optional)"), 200)
    leave_message = choice_field(_l("Can we leave a message?"), YES_NO, _l("Select if we can leave a message"))
    acknowledge = BooleanField(_l("Email me to say you have received my report"))


class ConsentForm(SiteForm):
    consent = BooleanField(_l("I agree"), validators=[Required(_l("Select that you agree, so we can send your report"))])


class DescriptionForm(SiteForm):
    description = long_text_field(_l("Tell us what happened"), 5000, _l("Tell us what happened"))


class SupportForm(SiteForm):
    support = choice_field(_l("Would you like support from the Victim Care and Advice Service?"), YES_NO,
                           _l("Select yes if you would like support"))


# Answers that identify the reporter: sealed apart from the report, dropped if anonymous.
CONTACT_FIELDS = ("name", "email", "phone", "safe_times", "leave_message", *INTERPRETER_FIELDS, "acknowledge")


def when_steps():
    """"When did it happen?", then the date on its own page if they know it."""
    from .flow import Step
    return [
        Step("when", WhenForm, _l("When did it happen?"), answers=("when_known",),
             in_summary=lambda a: a.get("when_known") != "date"),
        Step("when-date", WhenDateForm, _l("When did it happen?"),
             answers=("when_day", "when_month", "when_year", "when_approximate"),
             show_if=lambda a: a.get("when_known") == "date"),
    ]


class EvidenceForm(SiteForm):
    evidence = choice_field(_l("Do you have photos, screenshots or documents?"), YES_NO,
                            _l("Select yes if you have photos, screenshots or documents"))


class FilesForm(SiteForm):
    """The files page's Continue: the files themselves are uploaded one at a time
    (report/files.py); only the CSRF token comes here."""


def evidence_steps(flow_slug, hint):
    """"Do you have photos, screenshots or documents?", then, if so, the files page."""
    from .flow import Step

    def context(_answers):  # imported late: the files views need the report blueprint, which needs the flows
        from . import files, registry
        return files.page_context(registry.flow_of(flow_slug))

    def summary(_answers):
        from . import files, registry
        return files.summary(registry.flow_of(flow_slug))
    return [
        Step("evidence", EvidenceForm, _l("Do you have photos, screenshots or documents?"), answers=("evidence",),
             hint=hint),
        Step("files", FilesForm, _l("Add your files"), optional=True, template="report/files.html",
             show_if=lambda a: a.get("evidence") == "yes", context=context, summary=summary),
    ]


class NoWayToReachForm(SiteForm):
    """An interruption page: support or a visit was asked for, but no contact details."""


def wants_to_be_reached(answers):
    """Support, or a Friends Against Scams visit or call, was asked for."""
    return answers.get("support") == "yes" or answers.get("fas_visit") == "yes"


def contact_and_consent_steps(contact_hint, flow_slug):
    """Contact or anonymous, the details if given, then consent: the end of every report.

    An anonymous reporter who asked for support or a visit is told, before consent, that
    nobody can then reach them, and offered a way back to give contact details."""
    from .flow import Step
    from .recipients import consent_context, consent_key
    return [
        Step("contact", ContactForm, _l("Can we contact you about your report?"), answers=("contact",), hint=contact_hint),
        Step("no-way-to-reach-you", NoWayToReachForm, _l("Nobody will be able to contact you"), interruption=True,
             show_if=lambda a: a.get("contact") == "anonymous" and wants_to_be_reached(a),
             template="report/no_way_to_reach_you.html",
             context=lambda a: {"support": a.get("support") == "yes", "visit": a.get("fas_visit") == "yes"},
             context_key=lambda a: (a.get("support") == "yes", a.get("fas_visit") == "yes")),
        Step("contact-details", ContactDetailsForm, _l("Your contact details"), answers=CONTACT_FIELDS,
             show_if=lambda a: a.get("contact") == "details", reveal=INTERPRETER_REVEAL,
             hint=_l("Give at least an email address or a phone number.")),
        Step("consent", ConsentForm, _l("Sending your report"), answers=("consent",), template="report/consent.html",
             context=consent_context(flow_slug), context_key=consent_key(flow_slug)),
    ]
