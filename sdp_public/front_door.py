"""What the app believes about a request's origin: address, scheme, host and script root.

A client can send any header it likes. Forwarded headers (X-Forwarded-For, -Proto, -Host)
are believed only when the connection comes from a configured proxy (SDP_TRUSTED_PROXIES,
empty by default: trust none); from anyone else the socket's address, scheme and Host
stand, so nobody picks their own address to reset a rate limit. The script root never
comes from the request at all (gunicorn takes a SCRIPT_NAME header from "trusted"
peers): it is SITE_URL's path, or nothing, so no header can change the links on a page.
"""
import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix


class FrontDoor:
    def __init__(self, app, trusted_proxies=(), script_root=""):
        self.app = app
        self.unix = "unix" in trusted_proxies
        self.networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies if p != "unix"]
        # One hop: the address the trusted proxy itself appended is the client's.
        self.proxied = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=0, x_prefix=0)
        self.script_root = script_root.rstrip("/")

    def trusted(self, remote_addr):
        if not remote_addr:  # gunicorn on a unix socket: only the local machine can connect
            return self.unix
        try:
            address = ipaddress.ip_address(remote_addr.split("%", 1)[0])
        except ValueError:
            return False
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    def __call__(self, environ, start_response):
        # The path as the client sent it, whatever SCRIPT_NAME the server split off.
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        root = self.script_root
        if root and (path == root or path.startswith(root + "/")):
            path = path[len(root):]
        environ["SCRIPT_NAME"] = root
        environ["PATH_INFO"] = path
        if self.networks or self.unix:
            if self.trusted(environ.get("REMOTE_ADDR", "")):
                return self.proxied(environ, start_response)
        return self.app(environ, start_response)
