"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Sync workers: every request is short (a cached page, a form step, one transaction), and
sync workers keep one database connection each, which is easy to budget for.

Sync workers read each request themselves with no timeout for a slow header or body
(gunicorn 27 has none: its sync worker blocks, its gthread worker waits 5 s for the first
byte and then blocks too), so a few clients trickling bytes would hold every worker. They
serve only behind nginx (deploy/nginx.conf), which reads each request whole first: gunicorn
listens on loopback or a unix socket, and refuses a public address unless
SDP_ALLOW_PUBLIC_BIND=1 says another buffering proxy is in front.
"""
import gc
import ipaddress
import multiprocessing
import os

bind = os.environ.get("SDP_BIND", "127.0.0.1:8000")
# 2 x cores + 1 is gunicorn's rule of thumb for sync workers; override with SDP_WORKERS.
workers = int(os.environ.get("SDP_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30            # a request that takes longer is stuck: restart the worker
graceful_timeout = 20   # finish in-flight requests on deploy (SIGTERM)
keepalive = 5           # behind a load balancer that reuses connections
max_requests = 200000   # recycle workers now and then (each restart empties its page cache); jitter so they do not all restart at once
max_requests_jitter = 20000
preload_app = True      # import and render-cache set-up once, then fork: faster, less memory
accesslog = None        # the app writes its own request log without addresses or queries
errorlog = "-"
loglevel = "info"
# Forwarded headers (X-Forwarded-Proto and the like) only from the proxies the app trusts
# too (SDP_TRUSTED_PROXIES, none by default: gunicorn's own default trusts 127.0.0.1, so any
# local client could set them). No proxy may set SCRIPT_NAME: gunicorn would take it as the
# script root; the app's script root is SITE_URL's path (see sdp_public/front_door.py).
forwarded_allow_ips = ",".join(p.strip() for p in os.environ.get("SDP_TRUSTED_PROXIES", "").split(",")
                               if p.strip() and p.strip() != "unix")
forwarder_headers = ""


def private_address(address):
    """True for a unix socket, an inherited descriptor or a loopback address: nothing but
    this machine (the proxy) can reach gunicorn there."""
    if address.startswith(("unix:", "fd://")) or "/" in address.split(":", 1)[0]:
        return True
    host = address.rsplit(":", 1)[0] if not address.startswith("[") else address[1:address.index("]")]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to a public address


def on_starting(server):
    # Checked on the final settings, so `--bind` on the command line cannot slip past it.
    public = [address for address in server.cfg.bind if not private_address(address)]
    if public and os.environ.get("SDP_ALLOW_PUBLIC_BIND") != "1":
        raise SystemExit(f"refusing to listen on {', '.join(public)}: gunicorn serves behind nginx (deploy/nginx.conf) "
                         "on loopback or a unix socket; set SDP_ALLOW_PUBLIC_BIND=1 only if another buffering "
                         "proxy is in front")


# The preloaded app (templates, content, translations, routing: about 130,000 objects)
# lives as long as the master. Frozen just before each fork (Python's advice for a server
# that forks), it is left out of the garbage collector's generations: a worker's
# collections walk only what its own requests made and never write to the app's objects,
# whose pages stay shared with the master instead of being copied into every worker
# (measured after 60 journeys and 80 content pages: 42 MB private to each worker, was 70).
def pre_fork(_server, _worker):
    gc.freeze()


def post_fork(_server, _worker):
    # With preload_app the engine was built before the fork: each worker must open its own
    # connections, never share the parent's sockets (SQLAlchemy's advice for forking).
    import sys
    site = sys.modules.get("wsgi")  # absent when this file serves another app (the benchmark's floor)
    if site is not None:
        site.app.extensions["sdp_engine"].dispose(close=False)
