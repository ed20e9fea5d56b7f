"""Flask extensions, created unbound and attached in create_app with init_app."""
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect


def _client_key():
    # Behind the load balancer ProxyFix has already put the client's address here.
    return request.remote_addr or "unknown"


babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=_client_key, default_limits=[])


def limit_only_decorated_views(app):
    """The only limits are on the form, track and sign-in views, and each decorated view
    checks its own limit when called. Flask-Limiter also checks every request in
    before_request, which cost a fifth of a cached page's time for pages with no limit:
    take that hook out (tests prove the decorated limits still hold)."""
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if hook != limiter._check_request_limit]
