"""The partner blueprint: one blueprint, its routes in a module per area (sign_in, password, inbox,
casework, admin), each with its forms beside its views. Partner pages are in English and
never cached: they hold answers."""
from flask import Blueprint, current_app

from ..db import get_session
from ..security import no_store
from .access import english
from .words import WORDS

bp = Blueprint("partners", __name__, url_prefix="/partners")
bp.before_request(english)
bp.before_request(no_store)
bp.context_processor(lambda: WORDS)  # status_name(), form_name(), ...: codes in words


def db():
    return get_session()


def sealer():
    return current_app.extensions["sdp_sealer"]


def router():
    return current_app.extensions["sdp_router"]
