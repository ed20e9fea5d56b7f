"""The Cyber Essentials readiness checker: a page of yes/no questions per control, then a
result with what to do next. Works without JavaScript; answers live in a server-side
draft, so nothing is left in the browser of a shared office computer.

The English page's front matter is the schema (control and question ids, their order);
a translated page supplies the words for the same ids.
"""
from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from ..forms import SiteForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from .. import drafts
from ..security import no_store
from ..extensions import csrf
from .views import bp, content_store, render_page

DRAFT = "cyber-essentials-check"
CONTENT = "business/cyber-essentials-check"
ANSWERS = (("yes", _l("Yes")), ("no", _l("No")), ("not-sure", _l("Not sure")))


def controls():
    """The controls in the reader's language, shaped by the English schema."""
    schema = content_store().page("en", CONTENT).meta["controls"]
    local = content_store().page(g.lang.code, CONTENT).meta.get("controls") or []
    words = {c["id"]: c for c in local}
    merged = []
    for control in schema:
        translated = words.get(control["id"], {})
        questions = {q["id"]: q for q in translated.get("questions", [])}
        merged.append({
            **control, **{k: translated[k] for k in ("title", "summary") if k in translated},
            "questions": [{**q, **questions.get(q["id"], {})} for q in control["questions"]],
        })
    return merged


def field_name(question):
    """WTForms field names must be identifiers; question ids are hyphenated."""
    return "q_" + question["id"].replace("-", "_")


def _form_for(control, data=None):
    fields = {
        field_name(q): RadioField(
            q["text"], choices=ANSWERS,
            validators=[InputRequired(message=_l("Select yes, no or not sure"))])
        for q in control["questions"]
    }
    form_class = type("ControlForm", (SiteForm,), fields)
    return form_class(data=data) if data is not None else form_class()


@bp.get("/<lang>/business/cyber-essentials/check")
def checker_start():
    return render_page(CONTENT, "public/checker_start.html", cache=True, controls=controls())


@bp.route("/<lang>/business/cyber-essentials/check/<control_id>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, so a stale one re-shows the page with answers kept
def checker_control(control_id):
    no_store()
    all_controls = controls()
    ids = [c["id"] for c in all_controls]
    if control_id not in ids:
        abort(404)
    control = all_controls[ids.index(control_id)]
    answers = drafts.load(DRAFT)
    saved = {field_name(q): answers.get(q["id"]) for q in control["questions"]}
    form = _form_for(control) if request.method == "POST" else _form_for(control, data=saved)
    if request.method == "POST" and form.validate():
        for q in control["questions"]:
            answers[q["id"]] = form[field_name(q)].data
        drafts.save(DRAFT, answers)
        position = ids.index(control_id)
        if position + 1 < len(ids):
            return redirect(url_for("public.checker_control", control_id=ids[position + 1]))
        return redirect(url_for("public.checker_result"))
    position = ids.index(control_id)
    back = url_for("public.checker_control", control_id=ids[position - 1]) if position else url_for("public.checker_start")
    fields = [(q, form[field_name(q)]) for q in control["questions"]]
    return render_template("public/checker_control.html", control=control, form=form, fields=fields,
                           back=back, step=position + 1, steps=len(ids), page=content_store().page(g.lang.code, CONTENT))


@bp.get("/<lang>/business/cyber-essentials/check/result")
def checker_result():
    no_store()
    answers = drafts.load(DRAFT)
    results = []
    for control in controls():
        given = [(q, answers.get(q["id"])) for q in control["questions"]]
        if any(answer is None for _q, answer in given):
            # Not finished: send them to the first control with a question unanswered.
            return redirect(url_for("public.checker_control", control_id=control["id"]))
        to_do = [q for q, answer in given if answer != "yes"]
        results.append({"control": control, "ready": not to_do, "to_do": to_do})
    return render_template("public/checker_result.html", results=results, page=content_store().page(g.lang.code, CONTENT),
                           ready_count=sum(r["ready"] for r in results))
