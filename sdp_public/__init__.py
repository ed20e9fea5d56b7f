"""sdp_public: the public website of the Safe Durham Partnership."""
import logging

from markupsafe import Markup, escape
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from . import cli, db, errors, i18n, page_frame, request_log, security
from .config import load_config
from .contacts import load_contacts, load_services
from .content import ContentStore
from .extensions import csrf, csrf_only_for_unsafe_methods, limit_only_decorated_views, limiter
from .front_door import FrontDoor
from .site_app import SiteFlask
from .reader_cache import ReaderCache


def create_app(config=None):
    """Build the app. `config` overrides what the environment says (tests use this)."""
    settings = load_config(**(config or {}))
    app = SiteFlask(__name__, instance_path=settings["INSTANCE_PATH"])
    app.config.update(settings)
    # Forwarded headers only from the configured proxies; the script root only from SITE_URL;
    # then a content page a reader with no cookie has been sent before, without Flask.
    app.extensions["sdp_reader_cache"] = reader_cache = ReaderCache(app.wsgi_app, app.config)
    app.wsgi_app = FrontDoor(reader_cache,
                             app.config["TRUSTED_PROXIES"], app.config["SCRIPT_ROOT"])

    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(app.root_path + "/templates"),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.add_extension("jinja2.ext.do")

    db.init_app(app)
    i18n.init_app(app)
    page_frame.init_app(app)
    csrf.init_app(app)
    csrf_only_for_unsafe_methods(app)
    limiter.init_app(app)
    limit_only_decorated_views(app)
    security.init_app(app)
    request_log.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    contacts = load_contacts(app.config["CONTENT_DIR"])
    app.extensions["sdp_contacts"] = contacts
    app.extensions["sdp_services"] = load_services(app.config["CONTENT_DIR"], contacts)

    def render_fragment(template, **context):
        return app.jinja_env.get_template(template).render(**context)

    app.extensions["sdp_page_cache"] = {}
    app.extensions["sdp_blank_questions"] = {}
    app.extensions["sdp_content"] = ContentStore(app.config["CONTENT_DIR"], contacts, render_fragment)
    council = contacts["council"]
    app.jinja_env.globals["council_phone_html"] = lambda: Markup(
        f'<a class="govuk-link" href="tel:{council.tel}" dir="ltr">{escape(council.phone)}</a>')
    app.jinja_env.globals["contacts"] = contacts

    from . import assets
    assets.init_app(app)

    from .services.routing import Router
    from .services.sealing import Sealer, parse_keys
    app.extensions["sdp_router"] = Router.load(app.config["CONTENT_DIR"])
    app.extensions["sdp_sealer"] = Sealer(parse_keys(app.config["SEALING_KEYS"]))
    if app.config["SDP_ENV"] == "production":
        missing = app.extensions["sdp_router"].missing_mailboxes()
        if missing:
            from .config import ConfigError
            raise ConfigError("Refusing to start in production: no mailbox for " + ", ".join(missing))

    from .ops.views import bp as ops_bp
    from .report import files, resume, track  # noqa: F401  (register their routes on the report blueprint)
    from .report.views import bp as report_bp
    from .partners import bp as partners_bp
    from .public import checker  # noqa: F401  (registers its routes on the public blueprint)
    from .public.views import bp as public_bp
    app.register_blueprint(public_bp)
    app.register_blueprint(report_bp)
    app.register_blueprint(partners_bp)
    app.register_blueprint(ops_bp)

    # One stream for every logger (ours, the limiter's, SQLAlchemy's warnings), so an
    # outage reported by a library is seen; basicConfig does nothing if one is set up.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    if not app.testing:  # (a test's captured log keeps each line's file and line number)
        request_log.lean_records()  # nothing of the calling frame, thread or process: no line shows them
    request_log.mask_addresses()  # in every record of every logger: no client address is ever logged
    return app
