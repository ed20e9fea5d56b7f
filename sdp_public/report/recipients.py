"""Who gets THIS report: the partners the routing rules pick for these answers, by the
names the public reads (content/partners.toml holds the staff-facing names and the
mailboxes; these are translatable, the proper names kept in each language)."""
from flask import current_app
from flask_babel import lazy_gettext as _l

PUBLIC_NAMES = {
    "police-hate-crime": _l("Durham Constabulary's hate crime team (the police)"),
    "council-community-safety": _l("Durham County Council's community safety team"),
    "victim-care": _l("the Victim Care and Advice Service"),
    "trading-standards": _l("Durham County Council's Trading Standards team (Friends Against Scams)"),
    "police-cyber-crime": _l("Durham Constabulary's cyber crime team (the police)"),
    "police-fraud": _l("Durham Constabulary's fraud team (the police)"),
    "council-customer-services": _l("Durham County Council's customer services"),
    "safer-cyber-group": _l("the Safe Durham Partnership's Safer Cyber Working Group"),
}


def slugs_for(flow_slug, answers):
    """The partner slugs the router picks for these answers (the same call submit makes)."""
    return [partner.slug for partner, _reason in current_app.extensions["sdp_router"].route(flow_slug, answers)]


def named(slugs):
    return [PUBLIC_NAMES[slug] for slug in slugs if slug in PUBLIC_NAMES]


def consent_context(flow_slug):
    """A Step.context for a consent page: the partners these answers will reach."""
    return lambda answers: {"recipients": named(slugs_for(flow_slug, answers))}


def consent_key(flow_slug):
    """The consent page's Step.context_key: it depends on nothing but which partners."""
    return lambda answers: tuple(slugs_for(flow_slug, answers))
