"""Answers as people read them: choice values turned back into their labels, dates as
dates, for check answers (and, later, the partner inbox)."""
import datetime

from flask_babel import format_date, gettext
from wtforms import BooleanField, RadioField, SelectMultipleField


def _labels(field):
    return {value: str(label) for value, label in field.choices}


def describe(step, answers):
    """[(label or None, text)] for one step's answers; empty when nothing was given."""
    form = step.form(formdata=None, meta={"csrf": False})
    if "when_day" in step.answers:
        return _describe_date(answers)
    lines = []
    for name in step.answers:
        value = answers.get(name)
        if value in (None, "", [], False):
            continue
        field = form[name]
        if isinstance(field, SelectMultipleField):
            labels = _labels(field)
            text = [labels.get(v, v) for v in value]
        elif isinstance(field, RadioField):
            text = [_labels(field).get(value, value)]
        elif isinstance(field, BooleanField):
            text = [gettext("Yes")]
        else:
            text = [value]
        label = str(field.label.text)
        lines.append((label if len(step.answers) > 1 and label != str(step.title) else None, text))
    return lines


def _describe_date(answers):
    try:
        moment = datetime.date(int(answers["when_year"]), int(answers["when_month"]), int(answers["when_day"]))
    except (KeyError, TypeError, ValueError):
        return [(None, [gettext("I'm not sure")])]
    text = format_date(moment, "long")
    if answers.get("when_approximate"):
        text = gettext("About %(date)s", date=text)
    return [(None, [text])]


def summary_rows(flow, answers, change_url):
    rows = []
    for step in flow.visible(answers):
        if step.interruption or not step.in_summary(answers):
            continue
        described = describe(step, answers)
        rows.append({"key": step.title, "lines": described or [(None, [gettext("Not given")])],
                     "href": change_url(step), "slug": step.slug})
    return rows
