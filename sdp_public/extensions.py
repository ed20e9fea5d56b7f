"""Flask extensions, created unbound and attached in create_app with init_app."""
import functools
import hashlib
import hmac
import ipaddress
import logging

from flask import abort, current_app, request
from flask.globals import request_ctx
from flask_babel import Babel
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect
from limits import parse_many


def client_key():
    """Who a rate limit counts: the client's address (its socket's, or what a trusted proxy
    said: see front_door.py), an IPv6 client by its /64 (one home or phone holds a whole
    /64 and can pick any address in it). Kept as a keyed hash, so neither the limiter's
    storage nor its log lines ever hold the address."""
    address = request.remote_addr or ""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        client = address or "unknown"
    else:
        if parsed.version == 6 and parsed.ipv4_mapped:
            parsed = parsed.ipv4_mapped
        client = str(ipaddress.ip_network(f"{parsed}/64", strict=False)) if parsed.version == 6 else str(parsed)
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"ratelimit:" + client.encode(), hashlib.sha256).hexdigest()[:32]


logger = logging.getLogger(__name__)

babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_key, default_limits=[])


def limit_only_decorated_views(app):
    """The only limits are on the form, track and sign-in views, and each decorated view
    checks its own limit when called. Flask-Limiter also checks every request in
    before_request, which cost a fifth of a cached page's time for pages with no limit:
    take that hook out (tests prove the decorated limits still hold). Its after_request
    (deductions, headers) and teardown hooks work on the state a limit check leaves on the
    request: a request that checked none (every GET) has none, so they are skipped then
    (they made that state anew, a twelfth of a question page, to find nothing in it)."""
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if hook != limiter._check_request_limit]
    for registry in (app.after_request_funcs, app.teardown_request_funcs):
        registry[None] = [_when_limited(hook) if _is_limiters(hook) else hook for hook in registry.get(None, [])]


def csrf_only_for_unsafe_methods(app):
    """Flask-WTF 1.3's before-request check looks up the view's exemptions (its blueprint,
    its module and name) before it looks at the method, so every GET paid for the lookup
    only to be let through. Its hook is kept, run only for the methods it checks
    (WTF_CSRF_METHODS, read at each request); what it does for them is unchanged."""
    config = app.config
    hooks = app.before_request_funcs.get(None, [])
    for index, hook in enumerate(hooks):
        if hook.__module__ == "flask_wtf.csrf" and hook.__name__ == "csrf_protect":
            @functools.wraps(hook)
            def csrf_protect(hook=hook):
                if request.method in config["WTF_CSRF_METHODS"]:
                    return hook()
                return None
            hooks[index] = csrf_protect
            return
    raise RuntimeError("Flask-WTF's csrf_protect hook was not found: init csrf before this")


def _is_limiters(hook):
    owner = getattr(hook, "__self__", None) or (hook.args[0] if isinstance(hook, functools.partial) and hook.args else None)
    return owner is limiter


def _when_limited(hook):
    @functools.wraps(hook)
    def guarded(*args):
        if hasattr(request_ctx._get_current_object(), "_limiter_request_context"):  # what Limiter.context keeps
            return hook(*args)
        return args[0] if args else None  # after_request hands the response back
    return guarded


def post_limit(limit_value, **options):
    """limiter.limit(limit_value, methods=["POST"], **options), but a GET never enters
    Flask-Limiter: its decorator resolves and filters every limit of the view on each call
    whatever the method, a tenth of a question page's time for a limit that cannot apply.

    A plain limit (no options: the client's limit on a form's answers, Sends, track
    look-ups) is counted here, on a POST, with Flask-Limiter's own strategy and storage and
    under the key and scope Flask-Limiter gives it (the client, the endpoint): the same
    count in Redis, without the decorator's resolving, filtering and request context,
    which were an eighth of every answer's calls (350 of 2,750). Whenever the storage is
    not known to work (it failed just now, or Flask-Limiter has marked it dead and counts
    in memory, checking now and then whether it is back) the request goes Flask-Limiter's
    own way, so an outage is handled exactly as it was: counted in memory, logged, never a
    lost report."""
    def decorate(view):
        limited = limiter.limit(limit_value, methods=["POST"], **options)(view)
        plain = not options

        @functools.wraps(view)
        def dispatch(*args, **kwargs):
            if request.method != "POST":
                return view(*args, **kwargs)
            if not plain or not (limiter.enabled and limiter.initialized) or limiter._storage_dead:
                return limited(*args, **kwargs)
            prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
            identifiers = [*([prefix] if prefix else []), client_key(), request.endpoint]
            try:
                # as Flask-Limiter counts: each limit in order, stopping at the first one reached
                reached = next((item for item in _parsed(limit_value() if callable(limit_value) else limit_value)
                                if not limiter.limiter.hit(item, *identifiers)), None)
            except Exception:  # noqa: BLE001 - the storage failed: Flask-Limiter's way decides
                return limited(*args, **kwargs)
            if reached is not None:
                # Flask-Limiter's own words (the key is the client's keyed hash, never an address)
                logger.info("ratelimit %s (%s) exceeded at endpoint: %s", reached, identifiers[-2], request.endpoint)
                abort(429)
            return view(*args, **kwargs)
        return dispatch
    return decorate


@functools.lru_cache(maxsize=64)
def _parsed(limit_string):
    return tuple(sorted(parse_many(limit_string)))
