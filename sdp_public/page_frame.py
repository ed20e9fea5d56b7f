"""The parts of every page that are the same for every page in one language: the header's
masthead and emergency line, the footer, Exit this page (templates/frame/).

Rendered once per part, site address (script root) and language, then reused as they
are: every page that is not served whole from a cache (a question with answers, check
answers, a content page for a reader with a cookie, the partner pages) spent about half
its rendering on them (a dozen URLs built, twenty strings translated). What they may
depend on is only what the key holds: nothing from the request, the reader or the page.
"""
from flask import current_app, request
from markupsafe import Markup

from .i18n import current_language

PARTS = ("masthead", "emergency", "footer", "exit_this_page")


def frame_part(name):
    """templates/frame/<name>.html for this language under this script root."""
    lang = current_language()
    key = (name, request.script_root, lang.code)
    parts = current_app.extensions["sdp_frame_parts"]
    html = parts.get(key)
    if html is None:
        if name not in PARTS:
            raise KeyError(f"no frame part {name!r}")
        html = Markup(current_app.jinja_env.get_template(f"frame/{name}.html").render(lang=lang))
        parts[key] = html
    return html


def init_app(app):
    app.extensions["sdp_frame_parts"] = {}
    app.jinja_env.globals["frame_part"] = frame_part
