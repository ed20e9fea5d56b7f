"""Every form flow the site runs, by URL: (kind, slug) -> (Flow, contact fields)."""
from . import hate_incident

FLOWS = {
    ("report", hate_incident.FLOW.slug): (hate_incident.FLOW, hate_incident.CONTACT_FIELDS),
}


def get(kind, slug):
    return FLOWS.get((kind, slug), (None, None))
