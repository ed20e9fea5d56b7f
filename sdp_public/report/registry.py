"""Every form flow the site runs, by URL: (kind, slug) -> (Flow, contact fields)."""
from . import hate_incident, requests, scam
from .common import CONTACT_FIELDS

FLOWS = {
    ("report", hate_incident.FLOW.slug): (hate_incident.FLOW, CONTACT_FIELDS),
    ("report", scam.FLOW.slug): (scam.FLOW, CONTACT_FIELDS),
    ("request", requests.TRANSLATION.slug): (requests.TRANSLATION, requests.TRANSLATION_CONTACT),
    ("request", requests.AWARENESS.slug): (requests.AWARENESS, requests.AWARENESS_CONTACT),
}


def get(kind, slug):
    return FLOWS.get((kind, slug), (None, None))


def flow_of(slug):
    """The report flow with this slug (the steps that need their own flow look it up late)."""
    return next(flow for (_kind, s), (flow, _contact) in FLOWS.items() if s == slug)
