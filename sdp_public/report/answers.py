"""Answers as people read them: choice values turned back into their labels, dates as
dates, for check answers (and, later, the partner inbox)."""
import datetime

from flask_babel import format_date, get_locale, gettext
from wtforms import BooleanField, SelectField, SelectMultipleField


_FIELD_TEXTS = {}  # (form class, locale) -> {field name: (kind, label, {value: choice label})}


def _field_texts(step):
    """What describe() reads of a step's form, in the current language: worked out once per
    form and language (building a form and translating every choice label on each check
    answers page was a third of its cost)."""
    key = (step.form, str(get_locale()))
    texts = _FIELD_TEXTS.get(key)
    if texts is None:
        form = step.form(formdata=None, meta={"csrf": False})
        texts = {}
        for name in step.answers:
            field = form[name]
            kind = ("many" if isinstance(field, SelectMultipleField) else "one" if isinstance(field, SelectField)
                    else "yes" if isinstance(field, BooleanField) else "text")
            labels = {value: str(label) for value, label in field.choices} if kind in ("many", "one") else {}
            texts[name] = (kind, str(field.label.text), labels)
        _FIELD_TEXTS[key] = texts
    return texts


def describe(step, answers):
    """[(label or None, text)] for one step's answers; empty when nothing was given."""
    if "when_day" in step.answers:
        return _describe_date(answers)
    texts = _field_texts(step)
    # A step of several fields labels each line, unless the label just repeats the heading.
    title = str(step.title) if len(step.answers) > 1 else None
    lines = []
    for name in step.answers:
        value = answers.get(name)
        if value in (None, "", [], False):
            continue
        kind, label, labels = texts[name]
        if kind == "many":
            text = [labels.get(v, v) for v in value]
        elif kind == "one":  # radios and selects
            text = [labels.get(value, value)]
        elif kind == "yes":
            text = [gettext("Yes")]
        else:
            text = [value]
        lines.append((label if title is not None and label != title else None, text))
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
        described = step.summary(answers) if step.summary else describe(step, answers)
        rows.append({"key": step.title, "lines": described or [(None, [gettext("Not given")])],
                     "href": change_url(step), "slug": step.slug})
    return rows
