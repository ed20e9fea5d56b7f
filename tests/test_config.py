"""Embedded defaults are safe on one machine; production refuses unsafe settings."""
import pytest

from sdp_public.config import ConfigError, load_config
from sdp_test_helpers import KEYS, SAFE, STRONG



def without(*names, **changes):
    return {**{k: v for k, v in SAFE.items() if k not in names}, **changes}


def test_embedded_defaults_need_no_setup(tmp_path):
    config = load_config({"SDP_INSTANCE_PATH": str(tmp_path)})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'sdp_public.db'}"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["SMTP_URL"] == f"file://{tmp_path / 'mail'}"
    assert len(config["SECRET_KEY"]) >= 64
    # generated once, then kept: sessions survive a restart
    assert load_config({"SDP_INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"] == config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_the_environment_overrides_the_defaults(tmp_path):
    config = load_config({"SDP_INSTANCE_PATH": str(tmp_path), "SDP_DATABASE_URL": "postgresql+psycopg://x/y",
                          "SDP_REDIS_URL": "redis://127.0.0.1:6379/0", "SDP_SMTP_URL": "smtp://127.0.0.1:25",
                          "SDP_SECRET_KEY": STRONG})
    assert config["DATABASE_URL"] == "postgresql+psycopg://x/y"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert config["SMTP_URL"] == "smtp://127.0.0.1:25"
    assert config["SECRET_KEY"] == STRONG


@pytest.mark.parametrize("env, problem", [
    (without("SDP_SECRET_KEY"), "SDP_SECRET_KEY is not set"),
    (without("SDP_SEALING_KEYS"), "SDP_SEALING_KEYS is not set"),
    (without(SDP_SECRET_KEY="short"), "shorter than 32"),
    (without(SDP_DATABASE_URL="sqlite:///:memory:"), "in-memory"),
    (without(SDP_DATABASE_URL="sqlite://"), "in-memory"),
    (without(SDP_DEBUG="1"), "DEBUG"),
    # limits in memory count per worker process: "10 per hour" becomes 10 x workers
    (without("SDP_REDIS_URL"), "SDP_REDIS_URL is not set"),
    (without(SDP_REDIS_URL="memory://"), "SDP_REDIS_URL is not set"),
    # no site address: emails carry relative links, the sitemap follows the Host header
    (without("SDP_SITE_URL"), "SDP_SITE_URL is not set"),
    (without(SDP_SITE_URL="http://safedurham.example"), "SDP_SITE_URL is not https"),
    # mail written to files: notifications pile up and nobody is told
    (without("SDP_SMTP_URL"), "SDP_SMTP_URL is not set or is file://"),
    (without(SDP_SMTP_URL="file:///var/mail/sdp"), "SDP_SMTP_URL is not set or is file://"),
    # evidence files would reach partners without a malware scan
    (without("SDP_CLAMD_ADDRESS"), "SDP_CLAMD_ADDRESS is not set"),
])
def test_production_refuses_unsafe_settings(tmp_path, env, problem):
    with pytest.raises(ConfigError, match=problem):
        load_config({"SDP_ENV": "production", "SDP_INSTANCE_PATH": str(tmp_path), **env})


def test_production_with_safe_settings_starts_with_secure_cookies(tmp_path):
    config = load_config({"SDP_ENV": "production", "SDP_INSTANCE_PATH": str(tmp_path), **SAFE})
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert not (tmp_path / "secret_key").exists()  # production never invents a secret
    assert not (tmp_path / "sealing_keys").exists()
    assert config["TRUSTED_HOSTS"] == ["safedurham.example"]
    assert config["TRUSTED_PROXIES"] == []  # no forwarded header is believed unless told


def test_site_url_gives_the_trusted_hosts_and_the_script_root(tmp_path):
    config = load_config({"SDP_INSTANCE_PATH": str(tmp_path), "SDP_SITE_URL": "https://example.org/safe/",
                          "SDP_TRUSTED_HOSTS": "www.example.org, 10.0.0.5", "SDP_TRUSTED_PROXIES": "10.0.0.0/8, ::1"})
    assert config["SITE_URL"] == "https://example.org/safe" and config["SCRIPT_ROOT"] == "/safe"
    assert config["TRUSTED_HOSTS"] == ["example.org", "www.example.org", "10.0.0.5"]
    assert config["TRUSTED_PROXIES"] == ["10.0.0.0/8", "::1"]
    assert load_config({"SDP_INSTANCE_PATH": str(tmp_path)})["TRUSTED_HOSTS"] is None  # embedded: any host


@pytest.mark.parametrize("env, problem", [
    ({"SDP_TRUSTED_PROXIES": "the load balancer"}, "SDP_TRUSTED_PROXIES"),
    ({"SDP_TRUSTED_PROXIES": "10.0.0.1/8"}, "SDP_TRUSTED_PROXIES"),
    ({"SDP_SITE_URL": "safedurham.example"}, "SDP_SITE_URL"),
    ({"SDP_TRUSTED_PROXY": "10.0.0.1"}, "SDP_TRUSTED_PROXIES"),
])
def test_malformed_front_door_settings_are_refused(tmp_path, env, problem):
    with pytest.raises(ConfigError, match=problem):
        load_config({"SDP_INSTANCE_PATH": str(tmp_path), **env})


def test_processes_starting_together_share_one_embedded_secret(tmp_path):
    """Two workers (or a worker and a CLI command) started at the same moment must not
    race each other into two secrets, or into a crash."""
    import subprocess
    import sys
    code = ("from sdp_public.config import load_config; import sys; "
            f"c = load_config({{'SDP_INSTANCE_PATH': {str(tmp_path)!r}}}); print(c['SECRET_KEY'], c['SEALING_KEYS'])")
    runs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(8)]
    results = [run.communicate(timeout=60) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err for _out, err in results]
    assert len({out for out, _err in results}) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sealing_keys", "secret_key"]
