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
