"""The form-flow engine: one question per page, branching, check answers, submit.

A Flow is data: its steps, each a small WTForms form with a condition saying whether it
applies given the answers so far. The views in report/views.py drive any Flow; the hate
incident report is the first, the scam report and format request reuse the same engine.
Answers live in a server-side draft keyed by the flow's slug.
"""
from dataclasses import dataclass, field
from typing import Callable


def always(_answers):
    return True


# A step is one question of one flow: compared by identity. (A dataclass's field-by-field
# equality built and compared a tuple of fields for every earlier step in `current in
# visible`: 24 calls of a question page's 1,200.)
@dataclass(eq=False)
class Step:
    slug: str
    form: type                     # a SiteForm subclass
    title: object                  # lazy string: the page's heading and the check-answers label
    answers: tuple = ()            # the form's fields that are stored as answers
    show_if: Callable = always     # (answers) -> bool
    template: str = "report/question.html"
    interruption: bool = False     # an information page with a Continue button and no answers
    optional: bool = False         # complete even if nothing was entered
    reveal: dict = field(default_factory=dict)  # {field: {value: (child fields)}}: shown under a choice
    hint: object = None            # lazy string under the heading
    in_summary: Callable = always  # (answers) -> bool: list this step on check answers?
    cross_check: Callable = None   # (form, answers) -> bool: checks against earlier answers, adding errors
    context: Callable = None       # (answers) -> dict: extra template variables for this page
    # (answers) -> hashable: everything `context` makes the page depend on (which partners,
    # a yes or no; never an answer's own text). Given, a question not yet answered is
    # rendered once per key (report/views.py), as a page with no context is.
    context_key: Callable = None
    summary: Callable = None       # (answers) -> [(label, [text])]: check answers' lines, if not the answers'

    def field_names(self):
        return self.answers


@dataclass
class Flow:
    slug: str                      # URL segment and draft name, e.g. "hate-incident"
    kind: str                      # "report" or "request": the URL's first segment
    reference_prefix: str          # e.g. "HC"
    start_content: str             # content path of the start page
    title: object
    steps: list = field(default_factory=list)
    # (answers) -> (area, [categories]) for the anonymised statistics; counts only.
    statistics: Callable = lambda answers: ("", [])
    # (answers) -> bool: the report is urgent (still happening, an attack under way), so
    # partners see it first and the notification's subject says so; never any answer.
    urgent: Callable = lambda answers: False

    def step(self, slug):
        return next((s for s in self.steps if s.slug == slug), None)

    def visible(self, answers):
        return [s for s in self.steps if s.show_if(answers)]

    def is_answered(self, step, answers):
        if step.interruption or step.optional:
            return f"seen:{step.slug}" in answers
        return all(name in answers for name in step.field_names())

    def next_step(self, answers, visible=None):
        """The first step that applies and has not been answered, or None when all are.
        `visible`: self.visible(answers), if the caller has it already."""
        visible = self.visible(answers) if visible is None else visible
        return next((s for s in visible if not self.is_answered(s, answers)), None)

    def previous(self, current, answers, visible=None):
        visible = self.visible(answers) if visible is None else visible
        slugs = [s.slug for s in visible]
        if current not in slugs:
            return None
        index = slugs.index(current)
        return visible[index - 1] if index else None

    def clean(self, answers):
        """Drop answers to steps that no longer apply (a changed branch), so they are
        never stored or sent."""
        keep = {}
        for step in self.visible(answers):
            for name in step.field_names():
                if name in answers:
                    keep[name] = answers[name]
            if f"seen:{step.slug}" in answers:
                keep[f"seen:{step.slug}"] = True
        for key in ("started_at", "honeypot"):
            if key in answers:
                keep[key] = answers[key]
        return keep

