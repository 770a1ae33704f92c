"""Prometheus and promtool for the lab and the tests: Debian's own `prometheus` package, downloaded with
`apt-get download` from the machine's Debian mirror and unpacked with `dpkg-deb -x` into the cache (not
installed: no service, no user, nothing outside .cache). Alerting rules are tested with its promtool; a
test runs its prometheus against the lab's exporters."""

from __future__ import annotations

from pathlib import Path

from lab import config
from lab.util import LabError, run

PACKAGE = "prometheus"
PROMETHEUS_DIR = config.CACHE_DIR / "prometheus"  # the unpacked package: usr/bin/prometheus, usr/bin/promtool


def binary(name: str) -> Path:
    """Where the unpacked package keeps `prometheus` or `promtool`."""
    return PROMETHEUS_DIR / "usr" / "bin" / name


def ensure_prometheus() -> Path:
    """Download and unpack the package unless done before; returns promtool's path."""
    if binary("promtool").exists() and binary("prometheus").exists():
        return binary("promtool")
    download = config.CACHE_DIR / "debs"
    download.mkdir(parents=True, exist_ok=True)
    for old in download.glob(f"{PACKAGE}_*.deb"):
        old.unlink()
    try:
        run(["apt-get", "download", "-q", PACKAGE], cwd=download)
    except LabError:  # a machine whose package lists were never fetched
        run(["apt-get", "update", "-q"])
        run(["apt-get", "download", "-q", PACKAGE], cwd=download)
    [deb] = sorted(download.glob(f"{PACKAGE}_*.deb"))
    run(["dpkg-deb", "-x", deb, PROMETHEUS_DIR])
    return binary("promtool")
