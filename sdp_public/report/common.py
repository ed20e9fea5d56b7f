"""Questions every flow asks the same way: when, contact (or anonymous), contact details,
consent. Shared so a fix to one (say, phone validation) reaches every form."""
import datetime

import email_validator
import phonenumbers
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import StopValidation, ValidationError

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


class WhenForm(FlaskForm):
    when_known = choice_field(_l("When did it happen?"), WHEN, _l("Select if you know when it happened"))


class WhenDateForm(FlaskForm):
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


class ContactForm(FlaskForm):
    contact = choice_field(_l("Can we contact you about your report?"), CONTACT, _l("Select if we can contact you"))


class ContactDetailsForm(ReachableMixin, FlaskForm):
    name = text_field(_l("Your name"), 200, _l("Enter your name"))
    email = text_field(_l("Email address"), 254, extra=[valid_email])
    phone = text_field(_l("Phone number"), 40, extra=[valid_phone])
    safe_times = text_field(_l("When is it safe to contact you? (optional)"), 200)
    leave_message = choice_field(_l("Can we leave a message?"), YES_NO, _l("Select if we can leave a message"))
    acknowledge = BooleanField(_l("Email me to say you have received my report"))


class ConsentForm(FlaskForm):
    consent = BooleanField(_l("I agree"), validators=[Required(_l("Select that you agree, so we can send your report"))])


class DescriptionForm(FlaskForm):
    description = long_text_field(_l("Tell us what happened"), 5000, _l("Tell us what happened"))


class SupportForm(FlaskForm):
    support = choice_field(_l("Would you like support from the Victim Care and Advice Service?"), YES_NO,
                           _l("Select yes if you would like support"))


# Answers that identify the reporter: sealed apart from the report, dropped if anonymous.
CONTACT_FIELDS = ("name", "email", "phone", "safe_times", "leave_message", "acknowledge")


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


def contact_and_consent_steps(contact_hint):
    """Contact or anonymous, the details if given, then consent: the end of every report."""
    from .flow import Step
    return [
        Step("contact", ContactForm, _l("Can we contact you about your report?"), answers=("contact",), hint=contact_hint),
        Step("contact-details", ContactDetailsForm, _l("Your contact details"), answers=CONTACT_FIELDS,
             show_if=lambda a: a.get("contact") == "details",
             hint=_l("Give at least an email address or a phone number.")),
        Step("consent", ConsentForm, _l("Sending your report"), answers=("consent",), template="report/consent.html"),
    ]
