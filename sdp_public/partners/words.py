"""What the partner pages call things: the stored codes (statuses, form slugs, contact
answer keys, timeline event kinds) in the words staff read. One mapping per code, data
rather than if-chains; a code with no entry is shown as it is, so nothing disappears, and
tests/test_partner_inbox.py fails when one is added without its words."""
from ..services.reports import STATUSES

STATUS_NAMES = {
    "new": "New",
    "acknowledged": "Acknowledged",
    "in-progress": "In progress",
    "referred": "Referred",
    "closed": "Closed",
}
assert set(STATUS_NAMES) == set(STATUSES)

# The forms' names as staff say them (after the flows' titles: "Report a hate incident"
# is the reporter's button; the report itself is a "Hate incident report").
FORM_NAMES = {
    "hate-incident": "Hate incident report",
    "scam-or-cyber-fraud": "Scam or cyber fraud report",
    "translation-or-format": "Request for another language or format",
    "awareness-session": "Awareness session booking",
}

# The contact details a reporter gave, labelled as the form asked for them.
CONTACT_LABELS = {
    "name": "Name",
    "email": "Email address",
    "phone": "Phone number",
    "safe_times": "Safe times to contact",
    "leave_message": "Can we leave a message?",
    "acknowledge": "Email me to say you have received my report",
}
ANSWER_WORDS = {True: "Yes", False: "No", "yes": "Yes", "no": "No", "not-sure": "Not sure"}

EVENT_NAMES = {
    "submitted": "Report sent",
    "reporter-information": "More information from the reporter",
    "reporter-file": "File added by the reporter",
    "acknowledged": "Acknowledged",
    "note": "Note",
    "message-to-reporter": "Message to the reporter",
    "referred": "Referred",
    "assigned": "Assigned",
    "unassigned": "Unassigned",
    **{f"status:{code}": f"Status changed to {name.lower()}" for code, name in STATUS_NAMES.items()},
}


def status_name(code):
    return STATUS_NAMES.get(code, code)


def form_name(slug):
    return FORM_NAMES.get(slug, slug)


def contact_label(key):
    return CONTACT_LABELS.get(key, key.replace("_", " ").capitalize())


def contact_value(value):
    if isinstance(value, (bool, str)) and value in ANSWER_WORDS:
        return ANSWER_WORDS[value]
    return value


def event_name(kind):
    return EVENT_NAMES.get(kind, kind)


WORDS = {"status_name": status_name, "form_name": form_name, "contact_label": contact_label,
         "contact_value": contact_value, "event_name": event_name}
