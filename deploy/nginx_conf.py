"""Render deploy/nginx.conf for one deployment and create its runtime directories.

    python deploy/nginx_conf.py --listen 0.0.0.0:80 --upstream 127.0.0.1:8000 --runtime /run/sdp-nginx > nginx.conf
    nginx -c "$PWD/nginx.conf"

--upstream is where gunicorn listens (host:port, or unix:/path/to.sock). --user sets the
user nginx's workers run as when started as root (nginx's default otherwise: nobody).
"""
import argparse
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def render(listen, upstream, runtime, user=None):
    runtime = Path(runtime).resolve()
    runtime.mkdir(parents=True, exist_ok=True)
    for name in TEMP_DIRS:
        (runtime / name).mkdir(exist_ok=True)
    values = {"LISTEN": listen, "UPSTREAM": upstream, "RUNTIME": str(runtime), "USER": f"user {user};" if user else ""}
    text = TEMPLATE.read_text()
    for key, value in values.items():
        if any(ch in value for ch in ";{}\n") and key != "USER":
            raise ValueError(f"{key} must not contain ; {{ }} or a newline")
        text = text.replace("{{" + key + "}}", value)
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="address nginx listens on, e.g. 0.0.0.0:80")
    parser.add_argument("--upstream", required=True, help="gunicorn's address, e.g. 127.0.0.1:8000 or unix:/run/sdp.sock")
    parser.add_argument("--runtime", required=True, help="writable directory for the pid file, log and buffers")
    parser.add_argument("--user", default=None, help="user for nginx's worker processes (when started as root)")
    args = parser.parse_args(argv)
    sys.stdout.write(render(args.listen, args.upstream, args.runtime, args.user))


if __name__ == "__main__":
    main()
