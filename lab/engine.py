"""Docker engine: installed from Debian packages and started without a bridge when absent."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from lab import config
from lab.nodes import LABEL
from lab.util import LabError, run

DOCKERD_ARGS = ["--bridge=none", "--iptables=false", "--ip6tables=false"]
PIDFILE = config.STATE_DIR / "dockerd.pid"
LOGFILE = config.STATE_DIR / "dockerd.log"


def engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True)
    return probe.returncode == 0


def apt_install(packages: list[str]) -> None:
    """Install Debian packages non-interactively (the lab runs as root on Debian/Ubuntu)."""
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], env=env)


def ensure_host_tools() -> None:
    """debootstrap builds the host images; docker.io provides dockerd and the client."""
    missing = [
        pkg for pkg, binary in (("docker.io", "dockerd"), ("debootstrap", "debootstrap")) if not _has(binary)
    ]
    if missing:
        if shutil.which("apt-get") is None:
            raise LabError(f"{', '.join(missing)} missing and apt-get is not available: install them by hand")
        apt_install(missing)


def _has(binary: str) -> bool:
    return shutil.which(binary) is not None or Path("/usr/sbin", binary).exists()


def ensure_engine(timeout: float = 60.0) -> bool:
    """Make sure dockerd answers; returns True when this call started it."""
    ensure_host_tools()
    if engine_answers():
        return False
    config.STATE_DIR.mkdir(parents=True, exist_ok=True)
    dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
    with LOGFILE.open("ab") as log:
        proc = subprocess.Popen(
            [dockerd, *DOCKERD_ARGS], stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
    PIDFILE.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if engine_answers():
            return True
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    tail = LOGFILE.read_text(errors="replace").splitlines()[-15:]
    raise LabError("dockerd did not come up; last lines of " + str(LOGFILE) + ":\n" + "\n".join(tail))


def foreign_containers() -> list[str]:
    """Containers the lab did not create (no lab-node label): stopping dockerd would stop them."""
    names = subprocess.run(
        ["docker", "ps", "-a", "--format", '{{.Names}}\t{{.Label "' + LABEL + '"}}'],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    return [line.split("\t", 1)[0] for line in names if line and not line.partition("\t")[2]]


def stop_engine_if_ours(timeout: float = 60.0) -> str:
    """Stop dockerd only when the lab started it (pidfile written by ensure_engine) and no container
    the lab did not create lives on it. Waits until the daemon has exited, so it can start again."""
    if not PIDFILE.exists():
        return "left as it was (the lab did not start it)"
    pid = int(PIDFILE.read_text().strip() or 0)
    if not (pid and _is_dockerd(pid)):
        PIDFILE.unlink(missing_ok=True)
        return "not running"
    others = foreign_containers()
    if others:
        return f"left running for containers the lab did not create: {', '.join(others)}"
    subprocess.run(["kill", str(pid)], check=False)
    deadline = time.monotonic() + timeout
    while _is_dockerd(pid):
        if time.monotonic() > deadline:
            raise LabError(f"dockerd (pid {pid}) did not exit within {timeout:.0f}s; see {LOGFILE}")
        time.sleep(0.2)
    PIDFILE.unlink(missing_ok=True)
    return "stopped (the lab started it)"


def _is_dockerd(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return "dockerd" in cmdline and state != "Z"
