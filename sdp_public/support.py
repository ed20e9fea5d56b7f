"""The needs a reader can filter the support directory by (labels are interface strings)."""
from flask_babel import lazy_gettext as _l

NEEDS = {
    "emergency": _l("I am in danger now"),
    "hate-crime": _l("Hate crime or hate incidents"),
    "domestic-abuse": _l("Domestic abuse"),
    "sexual-violence": _l("Sexual violence"),
    "victim-support": _l("Support after a crime"),
    "scams-and-fraud": _l("Scams and fraud"),
    "online-safety": _l("Staying safe online"),
    "drugs-and-alcohol": _l("Drugs and alcohol"),
    "radicalisation": _l("Worried someone is being radicalised"),
    "mental-health": _l("Feeling low or in crisis"),
    "young-people": _l("Children and young people"),
}
