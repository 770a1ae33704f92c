"""Background daemons the lab runs on loopback: the artifact mirror and the fake EC2 API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from lab import config
from lab.util import LabError


@dataclass(frozen=True)
class Service:
    name: str
    url: str  # answers HTTP when the service is up

    @property
    def pidfile(self) -> Path:
        return config.STATE_DIR / f"{self.name}.pid"

    @property
    def logfile(self) -> Path:
        return config.STATE_DIR / f"{self.name}.log"

    def command(self) -> list[str]:
        if self.name == "mirror":
            return [
                sys.executable,
                "-m",
                "http.server",
                "--bind",
                config.SERVICE_HOST,
                "--directory",
                str(config.MIRROR_DIR),
                str(config.MIRROR_PORT),
            ]
        return [
            sys.executable,
            "-m",
            "lab.moto_server",
            "-H",
            config.SERVICE_HOST,
            "-p",
            str(config.EC2_PORT),
        ]


MIRROR = Service("mirror", f"{config.MIRROR_URL}/")
FAKE_EC2 = Service("fake-ec2", f"{config.EC2_ENDPOINT}/moto-api/")
SERVICES = (MIRROR, FAKE_EC2)


def answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 500
    except OSError:
        return False


def our_pid(service: Service) -> int | None:
    """The pid in the service's pidfile, if that process is alive and is the one we started."""
    try:
        pid = int(service.pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    marker = "http.server" if service is MIRROR else "lab.moto_server"
    return pid if marker in cmdline else None


def start(service: Service, timeout: float = 30.0) -> bool:
    """Start the service unless it already answers; returns True when this call started it."""
    if answers(service.url):
        return False
    config.STATE_DIR.mkdir(parents=True, exist_ok=True)
    config.MIRROR_DIR.mkdir(parents=True, exist_ok=True)
    with service.logfile.open("ab") as log:
        proc = subprocess.Popen(
            service.command(), stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
    service.pidfile.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(service.url):
            return True
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise LabError(f"{service.name} did not answer on {service.url}; see {service.logfile}")


def stop(service: Service) -> bool:
    """Stop the service only if the lab started it; returns True when something was stopped."""
    pid = our_pid(service)
    service.pidfile.unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        if not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.1)
    return True
