"""Render deploy/nginx.conf for one deployment and create its runtime directories.

    python deploy/nginx_conf.py --listen 0.0.0.0:80 --upstream 127.0.0.1:8000 --runtime /run/sdp-nginx > nginx.conf
    nginx -c "$PWD/nginx.conf"

--upstream is where gunicorn listens (host:port, or unix:/path/to.sock). --user sets the
user nginx's workers run as when started as root (nginx's default otherwise: nobody).
--behind ADDRESS[,ADDRESS] names a load balancer in front (TLS ends there): nginx then
accepts connections from it only, takes the client address from its X-Forwarded-For and
the scheme from its X-Forwarded-Proto. Without it, nginx faces clients itself and
replaces whatever X-Forwarded-* they send.
"""
import ipaddress
import argparse
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def front(behind):
    """For a load balancer in front: (http-block lines, server-block lines, the scheme to pass on).
    Access is decided on the connection's own address ($realip_remote_addr), not the one
    the load balancer names."""
    if not behind:
        return "", "", "$scheme"
    addresses = [str(ipaddress.ip_network(a.strip(), strict=False)) for a in behind.split(",") if a.strip()]
    http = ["    geo $realip_remote_addr $sdp_from_front {", "        default 0;"]
    http += [f"        {a} 1;" for a in addresses] + ["    }"]
    server = [f"        set_real_ip_from {a};" for a in addresses]
    server += ["        real_ip_header X-Forwarded-For;", "        real_ip_recursive off;",
               "        if ($sdp_from_front = 0) {", "            return 403;", "        }"]
    return "\n".join(http), "\n".join(server), "$http_x_forwarded_proto"


def render(listen, upstream, runtime, user=None, behind=None):
    runtime = Path(runtime).resolve()
    runtime.mkdir(parents=True, exist_ok=True)
    for name in TEMP_DIRS:
        (runtime / name).mkdir(exist_ok=True)
    values = {"LISTEN": listen, "UPSTREAM": upstream, "RUNTIME": str(runtime), "USER": user or ""}
    for key, value in values.items():
        if any(ch in value for ch in ";{}\n\"' "):
            raise ValueError(f"{key} must not contain spaces, quotes, ; {{ }} or a newline")
    values["USER"] = f"user {user};" if user else ""
    values["FRONT_HTTP"], values["FRONT"], values["PROTO"] = front(behind)
    text = TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="address nginx listens on, e.g. 0.0.0.0:80")
    parser.add_argument("--upstream", required=True, help="gunicorn's address, e.g. 127.0.0.1:8000 or unix:/run/sdp.sock")
    parser.add_argument("--runtime", required=True, help="writable directory for the pid file, log and buffers")
    parser.add_argument("--user", default=None, help="user for nginx's worker processes (when started as root)")
    parser.add_argument("--behind", default=None, help="the load balancer's address(es) in front, comma-separated")
    args = parser.parse_args(argv)
    sys.stdout.write(render(args.listen, args.upstream, args.runtime, args.user, args.behind))


if __name__ == "__main__":
    main()
