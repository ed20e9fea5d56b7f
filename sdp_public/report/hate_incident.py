"""Report a hate incident: the questions, their choices and the branching, as one Flow.

The questions follow the issue's journey: who is reporting, what happened, why it was
hate, when, where, what happened in their words, who did it, what they want, support,
contact (or anonymous), and consent. Every label and message is translatable.
"""
from flask_babel import lazy_gettext as _l
from ..forms import SiteForm

from .common import (YES_NO_NOT_SURE, DescriptionForm, SupportForm,
                     contact_and_consent_steps, evidence_steps, when_steps)
from .fields import CheckboxesField, Required, RequiredIf, TextField, choice_field, long_text_field
from .flow import Flow, Step

WHO = (("victim", _l("It happened to me")),
       ("witness", _l("I saw it happen")),
       ("on-behalf", _l("I am reporting for someone else")),
       ("organisation", _l("I am reporting for an organisation (a third-party reporting centre)")))
WHAT = (("verbal", _l("Verbal abuse or insults")), ("threats", _l("Threats")),
        ("physical", _l("Physical attack")), ("damage", _l("Damage to property")),
        ("online", _l("Online abuse")), ("written", _l("Graffiti or written material")),
        ("harassment", _l("Harassment over time")), ("other", _l("Something else")))
WHY = (("race", _l("Race or ethnicity (including Gypsy, Roma and Traveller)")),
       ("religion", _l("Religion or belief")), ("sexual-orientation", _l("Sexual orientation")),
       ("disability", _l("Disability")), ("transgender", _l("Transgender identity")),
       ("other", _l("Another reason, for example alternative subculture, sex or gender")))
# The county's seven former districts: the names most people still use for where they live.
AREAS = (("chester-le-street", "Chester-le-Street"), ("derwentside", "Derwentside"), ("durham", "Durham"),
         ("easington", "Easington"), ("sedgefield", "Sedgefield"), ("teesdale", "Teesdale"),
         ("wear-valley", "Wear Valley"), ("not-sure", _l("I'm not sure")),
         ("outside", _l("Outside County Durham")))
OUTCOME = (("police", _l("Report it to the police so they can investigate")),
           ("record", _l("Record it without police action, to help the partnership understand what is happening")))


class WhoForm(SiteForm):
    who = choice_field(_l("Who are you reporting as?"), WHO, _l("Select who you are reporting as"))
    # A honeypot: hidden from people, filled in by some bots. Never stored.
    website = TextField(_l("Leave this empty"))


class WhatForm(SiteForm):
    what = CheckboxesField(_l("What happened?"), choices=WHAT,
                           validators=[Required(_l("Select what happened"))])
    what_other = long_text_field(_l("Tell us what happened"), 500,
                                 RequiredIf("what", ["other"], _l("Tell us what else happened")))


class WhyForm(SiteForm):
    why = CheckboxesField(_l("Why do you think it was because of hate?"), choices=WHY,
                          validators=[Required(_l("Select why you think it was because of hate"))])
    why_other = long_text_field(_l("Tell us the reason"), 500,
                                RequiredIf("why", ["other"], _l("Tell us the other reason")))


class OngoingForm(SiteForm):
    ongoing = choice_field(_l("Is it still happening?"), YES_NO_NOT_SURE, _l("Select if it is still happening"))


class WhereForm(SiteForm):
    place = long_text_field(_l("Where did it happen?"), 500, _l("Tell us where it happened"))
    area = choice_field(_l("Which area of County Durham was it in?"), AREAS, _l("Select the area, or that you are not sure"))


class OutsideForm(SiteForm):
    """An interruption page: where else to report; the reporter may still send it to us."""


class InDangerForm(SiteForm):
    """An interruption page: it is still happening, so first, how to get help now."""


TRUE_VISION = (("pass-on", _l("Yes, ask for my report to be passed on to True Vision as well")),
               ("myself", _l("No, I will report it to True Vision myself")),
               ("no", _l("No, only send it to the Safe Durham Partnership")))


class TrueVisionForm(SiteForm):
    true_vision = choice_field(_l("Would you like True Vision to have your report too?"), TRUE_VISION,
                               _l("Select if you would like True Vision to have your report too"))


def still_happening(answers):
    return answers.get("ongoing") == "yes"


def online_only_and_unknown(answers):
    """Only online abuse, and nothing said about who did it: True Vision, the police's
    national reporting site, is the route for online hate wherever the offender is."""
    return list(answers.get("what") or []) == ["online"] and not str(answers.get("offender") or "").strip()


class PeopleForm(SiteForm):
    offender = long_text_field(_l("Who did it? (optional)"), 2000)
    witnesses = long_text_field(_l("Did anyone else see it? (optional)"), 2000)


class OutcomeForm(SiteForm):
    outcome = choice_field(_l("What would you like to happen?"), OUTCOME, _l("Select what you would like to happen"))


FLOW = Flow(
    slug="hate-incident", kind="report", reference_prefix="HC", start_content="report/hate-incident",
    title=_l("Report a hate incident"),
    statistics=lambda a: (a.get("area", ""), list(a.get("why") or [])),
    urgent=still_happening,
    steps=[
        Step("who", WhoForm, _l("Who are you reporting as?"), answers=("who",)),
        Step("what", WhatForm, _l("What happened?"), answers=("what", "what_other"),
             reveal={"what": {"other": ("what_other",)}}, hint=_l("Select all that apply.")),
        Step("why", WhyForm, _l("Why do you think it was because of hate?"), answers=("why", "why_other"),
             reveal={"why": {"other": ("why_other",)}}, hint=_l("Select all that apply. You only need to think it was.")),
        *when_steps(),
        Step("ongoing", OngoingForm, _l("Is it still happening?"), answers=("ongoing",)),
        Step("in-danger", InDangerForm, _l("If you are in danger now"), interruption=True,
             show_if=still_happening, template="report/in_danger.html"),
        Step("where", WhereForm, _l("Where did it happen?"), answers=("place", "area")),
        Step("outside", OutsideForm, _l("It happened outside County Durham"), interruption=True,
             show_if=lambda a: a.get("area") == "outside", template="report/hate_incident_outside.html"),
        Step("description", DescriptionForm, _l("Tell us what happened"), answers=("description",),
             hint=_l("Include what was said or done, and how it made you feel. Do not include anything that could put you at risk if someone else reads it.")),
        *evidence_steps("hate-incident", _l("For example, a photo of graffiti or damage, or a screenshot of abuse online.")),
        Step("people", PeopleForm, _l("Who was involved?"), answers=("offender", "witnesses"), optional=True,
             hint=_l("Tell us anything you know about the person or people who did it, and anyone who saw it. You can leave these empty.")),
        Step("true-vision", TrueVisionForm, _l("Online hate and True Vision"), answers=("true_vision",),
             show_if=online_only_and_unknown, template="report/true_vision.html"),
        Step("outcome", OutcomeForm, _l("What would you like to happen?"), answers=("outcome",)),
        Step("support", SupportForm, _l("Would you like support?"), answers=("support",)),
        *contact_and_consent_steps(
            _l("You do not have to give your name. If you do, the police or a support service can contact you."),
            "hate-incident"),
    ],
)
