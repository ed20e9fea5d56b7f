"""Every form flow the site runs, by URL: (kind, slug) -> (Flow, contact fields)."""
from . import hate_incident, requests, scam

FLOWS = {
    ("report", hate_incident.FLOW.slug): (hate_incident.FLOW, hate_incident.CONTACT_FIELDS),
    ("report", scam.FLOW.slug): (scam.FLOW, scam.CONTACT_FIELDS),
    ("request", requests.TRANSLATION.slug): (requests.TRANSLATION, requests.TRANSLATION_CONTACT),
    ("request", requests.AWARENESS.slug): (requests.AWARENESS, requests.AWARENESS_CONTACT),
}


def get(kind, slug):
    return FLOWS.get((kind, slug), (None, None))
