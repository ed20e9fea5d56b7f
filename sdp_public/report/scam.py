"""Report a scam or cyber fraud: the same engine and shared questions as the hate
incident report; routing in content/partners.toml (police cyber crime, police fraud,
Trading Standards / Friends Against Scams, Victim Care and Advice Service)."""
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from ..forms import SiteForm
from wtforms.validators import StopValidation, ValidationError

from .common import (YES_NO, YES_NO_NOT_SURE, DescriptionForm, SupportForm,
                     contact_and_consent_steps, evidence_steps, valid_email, valid_phone, when_steps)
from .fields import CheckboxesField, Required, choice_field, long_text_field, text_field
from .flow import Flow, Step

VICTIM = (("me", _l("Me")), ("someone-else", _l("Someone I help or care for")),
          ("business", _l("My business or organisation")))
KIND = (("phishing", _l("An email or text message that tried to trick me (phishing)")),
        ("phone", _l("A phone call from someone pretending to be my bank, the police or another organisation")),
        ("doorstep", _l("Someone at my door")), ("post", _l("A letter or leaflet in the post")),
        ("shopping", _l("Online shopping or selling")), ("investment-romance", _l("An investment or a romance")),
        ("hacked", _l("An account was hacked")),
        ("business-attack", _l("Ransomware or another attack on a business or organisation")),
        ("other", _l("Something else")))
METHODS = (("phone-call", _l("Phone call")), ("text", _l("Text message")), ("email", _l("Email")),
           ("website", _l("Website")), ("social-media", _l("Social media or a messaging app")),
           ("in-person", _l("In person or at the door")), ("letter", _l("Letter")))
LOSS = (("money", _l("Money")), ("data", _l("Personal or business information, like passwords or bank details")),
        ("both", _l("Both money and information")), ("neither", _l("Neither")), ("not-sure", _l("I'm not sure")))
PAID = (("bank-transfer", _l("Bank transfer")), ("card", _l("Debit or credit card")), ("cash", _l("Cash")),
        ("gift-cards", _l("Gift cards or vouchers")), ("crypto", _l("Cryptocurrency")), ("other", _l("Another way")))


def parse_amount(text):
    """'£1,200.50', '1200', ' 1 200 ' -> Decimal('1200.50'); None if it is not an amount."""
    cleaned = "".join(ch for ch in str(text) if ch not in "£, \u00a0").removesuffix("GBP")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value >= Decimal("1e10") or value.as_tuple().exponent < -2:
        return None
    return value


class VictimForm(SiteForm):
    victim = choice_field(_l("Who did it happen to?"), VICTIM, _l("Select who it happened to"))


class KindForm(SiteForm):
    kind = choice_field(_l("What kind of scam or attack was it?"), KIND, _l("Select what kind of scam or attack it was"))


class KindOtherForm(SiteForm):
    kind_other = long_text_field(_l("What kind of scam or attack was it?"), 500, _l("Tell us what kind of scam or attack it was"))


class AttackNowForm(SiteForm):
    attack_now = choice_field(_l("Is the attack still happening?"), YES_NO_NOT_SURE,
                              _l("Select if the attack is still happening"))


class CallNowForm(SiteForm):
    """An interruption page: an attack under way needs a phone call now, not a form."""


def attack_on_business(answers):
    """The answers the police cyber crime team's routing rules act on (partners.toml)."""
    return answers.get("kind") == "business-attack" or (answers.get("victim") == "business" and answers.get("kind") == "hacked")


def attack_under_way(answers):
    return attack_on_business(answers) and answers.get("attack_now") == "yes"


class MethodForm(SiteForm):
    method = CheckboxesField(_l("How did they contact you?"), choices=METHODS,
                             validators=[Required(_l("Select how they contacted you"))])


class ScammerDetailsForm(SiteForm):
    scam_website = text_field(_l("Website address they used (optional)"), 500)
    scam_email = text_field(_l("Email address they used (optional)"), 254, extra=[valid_email])
    scam_phone = text_field(_l("Phone number they used (optional)"), 40, extra=[valid_phone])

    def validate_scam_website(self, field):
        if field.data and (" " in field.data or "." not in field.data):
            raise ValidationError(_l("Enter a website address, like www.example.com"))


class LossForm(SiteForm):
    loss = choice_field(_l("Did you lose money or information?"), LOSS, _l("Select if you lost money or information"))


class MoneyForm(SiteForm):
    amount = text_field(_l("How much money was lost?"), 30, _l("Enter how much money was lost"))
    paid = choice_field(_l("How was it paid?"), PAID, _l("Select how it was paid"))

    def validate_amount(self, field):
        if parse_amount(field.data) is None:
            raise StopValidation(_l("Enter the amount as a number, like 1200 or £1,200.50"))


class VulnerableForm(SiteForm):
    vulnerable = choice_field(_l("Is the person it happened to older or vulnerable?"), YES_NO_NOT_SURE,
                              _l("Select if the person is older or vulnerable"))


class VisitForm(SiteForm):
    fas_visit = choice_field(_l("Would you like a visit or call from Friends Against Scams?"), YES_NO,
                             _l("Select yes if you would like a visit or call"))


FLOW = Flow(
    slug="scam-or-cyber-fraud", kind="report", reference_prefix="SC", start_content="report/scam-or-cyber-fraud",
    title=_l("Report a scam or cyber fraud"),
    statistics=lambda a: ("", [a.get("kind", "")]),
    urgent=attack_under_way,
    steps=[
        Step("victim", VictimForm, _l("Who did it happen to?"), answers=("victim",)),
        Step("kind", KindForm, _l("What kind of scam or attack was it?"), answers=("kind",)),
        Step("kind-other", KindOtherForm, _l("What kind of scam or attack was it?"), answers=("kind_other",),
             show_if=lambda a: a.get("kind") == "other"),
        Step("attack-now", AttackNowForm, _l("Is the attack still happening?"), answers=("attack_now",),
             show_if=attack_on_business,
             hint=_l("For example, your systems are locked, files are being encrypted, or money is being moved.")),
        Step("call-now", CallNowForm, _l("Call Report Fraud now"), interruption=True,
             show_if=attack_under_way, template="report/scam_call_now.html"),
        Step("method", MethodForm, _l("How did they contact you?"), answers=("method",), hint=_l("Select all that apply.")),
        Step("scammer", ScammerDetailsForm, _l("The details they used"), optional=True,
             answers=("scam_website", "scam_email", "scam_phone"),
             hint=_l("Copy them exactly as they appeared. This helps stop the same people targeting others.")),
        Step("loss", LossForm, _l("Did you lose money or information?"), answers=("loss",)),
        Step("money", MoneyForm, _l("The money you lost"), answers=("amount", "paid"),
             show_if=lambda a: a.get("loss") in ("money", "both")),
        *when_steps(),
        Step("description", DescriptionForm, _l("Tell us what happened"), answers=("description",),
             hint=_l("Include what they said or sent, and what you did. Do not include passwords or full card numbers.")),
        *evidence_steps("scam-or-cyber-fraud", _l("For example, a screenshot of the text message or email, or a bank statement. Cover up full card numbers first.")),
        Step("vulnerable", VulnerableForm, _l("Is the person it happened to older or vulnerable?"), answers=("vulnerable",),
             hint=_l("For example, they are over 65, live alone, have dementia, or were targeted more than once.")),
        Step("support", SupportForm, _l("Would you like support?"), answers=("support",)),
        Step("visit", VisitForm, _l("Would you like a visit or call from Friends Against Scams?"), answers=("fas_visit",),
             hint=_l("Trading Standards can visit or call to help protect you or the person you care for from more scams.")),
        *contact_and_consent_steps(
            _l("You do not have to give your name. If you want a visit, support or a reply, give your details."),
            "scam-or-cyber-fraud"),
    ],
)
