"""Routing rules are data, and every possible report lands in at least one partner's inbox."""
import itertools

from sdp_public.report import common, hate_incident
from sdp_public.services.routing import Router


def test_every_combination_of_hate_incident_routing_answers_reaches_an_inbox(app):
    router = app.extensions["sdp_router"]
    combinations = list(itertools.product(
        [v for v, _ in hate_incident.WHO], [v for v, _ in hate_incident.OUTCOME], [v for v, _ in common.YES_NO],
        [v for v, _ in common.CONTACT], [v for v, _ in hate_incident.AREAS],
        [[v] for v, _ in hate_incident.WHY]))
    assert len(combinations) == 4 * 2 * 2 * 2 * 9 * 6
    for who, outcome, support, contact, area, why in combinations:
        answers = {"who": who, "outcome": outcome, "support": support, "contact": contact, "area": area, "why": why}
        partners = {p.slug for p, _reason in router.route("hate-incident", answers)}
        assert partners, answers
        assert ("police-hate-crime" in partners) == (outcome == "police")
        assert ("council-community-safety" in partners) == (outcome == "record")
        assert ("victim-care" in partners) == (support == "yes")


def test_rules_naming_an_unknown_partner_are_refused(tmp_path):
    (tmp_path / "partners.toml").write_text(
        '[partners.a]\nname = "A"\nmailbox_env = "X"\n[[rule]]\nform = "f"\nwhen = {}\npartner = "b"\nreason = "r"\n')
    try:
        Router.load(tmp_path)
    except ValueError as exc:
        assert "unknown partners" in str(exc)
    else:
        raise AssertionError("an unknown partner was accepted")


def test_mailboxes_come_from_configuration(app):
    router = app.extensions["sdp_router"]
    assert router.mailbox("victim-care", {}) == "victim-care@partners.invalid"
    assert router.mailbox("victim-care", {"SDP_MAILBOX_VICTIM_CARE": "vcas@example.org"}) == "vcas@example.org"
    assert "SDP_MAILBOX_VICTIM_CARE" in router.missing_mailboxes({})
