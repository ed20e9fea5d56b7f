"""Answering the reporter from the partner's report page: a reply template (translated for
the reporter) or the partner's own words (shown as English), and how those messages and the
reporter's own additions read in the partner's timeline. Partner pages are in English."""
import datetime

from flask_babel import force_locale
from ..forms import SiteForm
from wtforms import SelectField
from wtforms.validators import Length

from .. import languages, replies
from ..report.fields import LongTextField, TextField, no_control_characters, strip_text

PARAM_FIELDS = ("phone", "date", "times", "detail")


def _choices(options, empty):
    return [("", empty)] + [(value, english) for value, _label, english in options]


class ReplyForm(SiteForm):
    """One form for both kinds of message: a template with its details, or free text.
    Only the chosen template's details are read; the others may be left as they are."""

    template = SelectField("Use a reply template", validate_choice=False,
                           choices=[("", "No template: I will write my own message in English")]
                           + [(t.slug, t.title) for t in replies.TEMPLATES.values()])
    text = LongTextField("Or write your own message, in English", filters=[strip_text],
                         validators=[Length(max=5000, message="The message must be 5000 characters or fewer"),
                                     no_control_characters])
    phone = TextField(replies.PHONE.label, filters=[strip_text])
    date = TextField("Date (for “We tried to call you” and “We would like to meet you”)", filters=[strip_text])
    times = SelectField(replies.CALL_TIMES.label, choices=_choices(replies.TIMES, "Choose a time"), validate_choice=False)
    detail = SelectField(replies.DETAIL.label, choices=_choices(replies.DETAILS, "Choose what we need"),
                         validate_choice=False)

    body = None  # the event body, once validate() has passed

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        slug = self.template.data
        if slug:
            if self.text.data:
                self.text.errors.append("Send either a reply template or your own message, not both")
                return False
            try:
                template, params = replies.clean(slug, {name: self[name].data for name in PARAM_FIELDS},
                                                 today=datetime.date.today())
            except replies.ReplyError as problem:
                self[problem.field].errors.append(problem.message)
                return False
            self.body = {"template": template.slug, "params": params}
        elif not self.text.data:
            self.text.errors.append("Write a message, or choose a reply template")
            return False
        else:
            self.body = {"text": self.text.data, "lang": "en"}
        return True


def message_from_form(form):
    """The sealed body of a message-to-reporter event, from a ReplyForm that validated."""
    if form.body is None:
        raise ValueError("the reply form has not been validated")
    return dict(form.body)


def template_previews():
    """(title, English text with its details as [placeholders]) for each template."""
    previews = []
    with force_locale("en_GB"):
        for template in replies.TEMPLATES.values():
            names = {p.name: f"[{p.label.lower()}]" for p in template.params}
            previews.append((template.title, str(template.text) % names if names else str(template.text)))
    return previews


def timeline(report, opened):
    """The report's events for the partner, each with its words and the language they are in.
    `opened`: (event, its opened body) pairs, as the report service's open_report gives them.

    A message to the reporter shows in English (a template as its English text, marked as
    a template); the reporter's own additions are in the report's language, so the page
    marks them with lang (and dir for Arabic and Urdu) for screen readers and layout."""
    reporter_lang = languages.get(report.lang) or languages.DEFAULT
    entries = []
    for event, body in opened:
        body = body if isinstance(body, dict) else {}
        entry = {"event": event, "text": body.get("text"), "lang": None, "dir": "auto", "template": None}
        if event.kind == "message-to-reporter" and body:  # empty once purged
            with force_locale("en_GB"):
                shown = replies.render(body)
            entry["text"] = shown[0] if shown else "(a message the reporter cannot be shown: its template is unknown)"
            slug = body.get("template")
            template = replies.TEMPLATES.get(slug) if isinstance(slug, str) else None
            entry["template"] = template.title if template else None
            entry["lang"], entry["dir"] = "en", "ltr"
        elif event.kind == "reporter-information":
            entry["lang"], entry["dir"] = reporter_lang.code, reporter_lang.dir
        entries.append(entry)
    return entries
