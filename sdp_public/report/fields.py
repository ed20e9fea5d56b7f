"""Form pieces shared by every form, public and partner: text fields, choices, checkboxes,
text limits.

Every text field of every form is a TextField, LongTextField or SecretField from here: they
take text only. A browser sends text for a text input; a hand-made multipart body can send
a file in its place, which WTForms would hand on as a FileStorage (and Length, strip and
the validators would fail on it with a 500). Here a non-text value is refused once: the
field is left empty and shows its own message (its "required" message, or "Enter your
answer as text" when it is optional), the rest of the page keeps its answers.
"""
import re
import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, StopValidation, ValidationError

# C0/C1 control characters other than tab, newline and carriage return are refused:
# nobody types them, and they break emails, CSV exports and terminals.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def no_control_characters(form, field):
    if isinstance(field.data, str) and _CONTROL.search(field.data):
        raise ValidationError(_l("Remove the unusual characters from your answer"))


def strip_text(value):
    """Trim surrounding space and normalise Unicode so the same words compare equal."""
    return unicodedata.normalize("NFC", value).strip() if isinstance(value, str) else value


NOT_TEXT = _l("Enter your answer as text")


class TextOnly:
    """Mixed into every text field: a value that is not a string (an uploaded file) is
    dropped unread and refused with the field's own message."""

    refused = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Templates choose the widget by WTForms' type name (TextAreaField, StringField...).
        self.type = next(c.__name__ for c in type(self).__mro__ if c.__module__.startswith("wtforms."))

    def process_formdata(self, valuelist):
        self.refused = any(not isinstance(value, str) for value in valuelist[:1])
        if self.refused:
            self.data, self.raw_data = "", []  # never read, stored or shown back
            return
        super().process_formdata(valuelist)

    def pre_validate(self, form):
        if self.refused:
            raise StopValidation(self.refusal_message())
        super().pre_validate(form)

    def refusal_message(self):
        """The message this field gives when it has no answer, or NOT_TEXT if it is optional."""
        for validator in self.validators:
            if isinstance(validator, (Required, RequiredIf, DataRequired, InputRequired)) and validator.message:
                return validator.message
        return NOT_TEXT


class TextField(TextOnly, StringField):
    """A one-line text input that accepts text only."""


class LongTextField(TextOnly, TextAreaField):
    """A textarea that accepts text only."""


class SecretField(TextOnly, PasswordField):
    """A password input that accepts text only."""


class CheckboxesField(SelectMultipleField):
    """Checkboxes (choose all that apply). Each value counts once, in the order sent, so an
    answer holds at most one of each choice (a value repeated 4,000 times by a hand-made
    form is one answer, not 4,000 in the statistics). Unknown values are refused, not stored."""

    def process_formdata(self, valuelist):
        super().process_formdata(list(dict.fromkeys(
            value if isinstance(value, str) else None for value in valuelist)))

    def pre_validate(self, form):
        allowed = {value for value, _label in self.choices}
        if any(value not in allowed for value in (self.data or [])):
            raise StopValidation(self.gettext("Select from the list"))


def _presence(required):
    """A validator from a message (always required), a RequiredIf, or None (optional)."""
    if required is None:
        return Optional()
    return required if isinstance(required, (Required, RequiredIf)) else Required(required)


def text_validators(maximum, required=None, extra=()):
    """Free text: required (a message or a RequiredIf) or optional, a length limit, no control
    characters, then any extra checks (which run only when something was entered)."""
    return [_presence(required), Length(max=maximum, message=_l("Your answer must be %(max)d characters or fewer", max=maximum)),
            no_control_characters, *extra]


def text_field(label, maximum, required=None, extra=(), **kwargs):
    return TextField(label, validators=text_validators(maximum, required, extra), filters=[strip_text], **kwargs)


def long_text_field(label, maximum, required=None, **kwargs):
    return LongTextField(label, validators=text_validators(maximum, required), filters=[strip_text], **kwargs)


class ValidChoice:
    """The answer must be one of the offered choices (WTForms' own message is not ours)."""

    def __call__(self, form, field):
        if field.data not in {value for value, _label in field.choices}:
            raise StopValidation(_l("Select one of the options"))


def choice_field(label, choices, required=None):
    """Radios. WTForms' built-in choice check is off: it would add "Not a valid choice"
    beside our own message when nothing is selected."""
    return RadioField(label, choices=choices, validate_choice=False,
                      validators=[_presence(required), ValidChoice()])


class Required:
    """Like DataRequired, but counts whitespace-only answers as empty, with our message."""

    field_flags = {"required": True}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        data = field.data
        if data is None or data is False or (isinstance(data, str) and not data.strip()) or (isinstance(data, list) and not data):
            field.errors[:] = []
            raise StopValidation(self.message)


class RequiredIf:
    """Required when another answer on the same page has one of the given values;
    otherwise optional (an empty answer skips the remaining checks)."""

    field_flags = {}

    def __init__(self, other, values, message):
        self.other, self.values, self.message = other, values, message

    def __call__(self, form, field):
        other = form[self.other].data
        chosen = other if isinstance(other, list) else [other]
        if any(v in self.values for v in chosen):
            Required(self.message)(form, field)
        elif field.data in (None, "", []):
            field.errors[:] = []
            raise StopValidation()
