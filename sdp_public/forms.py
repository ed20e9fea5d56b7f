"""The base of every form on the site: Flask-WTF's FlaskForm, whose CSRF check first asks
whether the token sent is the very one this worker signed for the session.

With no time limit on tokens (config.py) a token's only content is the session's raw
token: one this worker signed for the session's raw value (csrf_tokens.py keeps them) is
one Flask-WTF's check would pass, so it passes without the check's serializer, base64,
HMAC and JSON again (160 of an answer's 2,400 calls). Any other token, a token signed
by another worker included, goes through Flask-WTF's own check, unchanged.
"""
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF

from . import csrf_tokens


class IssuedTokenCSRF(_FlaskFormCSRF):
    def validate_csrf_token(self, form, field):
        if csrf_tokens.was_issued(field.data):
            return
        super().validate_csrf_token(form, field)


class SiteForm(FlaskForm):
    class Meta:
        csrf_class = IssuedTokenCSRF
