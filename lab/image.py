"""Host images: a Debian rootfs made with debootstrap from the machine's own Debian mirror.

The image stands in for an EC2 host: systemd as PID 1, python3 for Ansible, and the OpenJDK
packages the java role installs already downloaded into apt's cache (not installed), so each
container saves the download but the role still does the real install.

A derived image (debian12-java) is its base with that JRE installed from the cache: the long molecule
scenarios (cluster, kraft) run on it, so their many hosts don't each unpack the same JRE at once (the
java role finds it installed); the lab and the other scenarios keep the real install.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lab import config
from lab.util import LabError, run, step

APT_SOURCE_DIRS = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
BASE_PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "python3",
    "python3-apt",
    "ca-certificates",
    "procps",
    "iproute2",
    "netcat-openbsd",
    "sudo",
    "gnupg",
    "less",
)
# Units that have no job in a container: masking them makes boot fast and quiet.
MASKED_UNITS = (
    "systemd-udevd.service",
    "systemd-udev-trigger.service",
    "systemd-udev-settle.service",
    "getty.target",
    "console-getty.service",
    "systemd-modules-load.service",
    "systemd-remount-fs.service",
    "systemd-firstboot.service",
    "sys-kernel-config.mount",
    "sys-kernel-debug.mount",
    "sys-kernel-tracing.mount",
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    "e2scrub_reap.service",
)
IMAGE_LABEL = "kafka-aws.lab.image"


@dataclass(frozen=True)
class Release:
    name: str  # image name, e.g. debian12
    suite: str  # Debian suite, e.g. bookworm
    jre: str  # OpenJDK package the java role installs there
    base: str = ""  # a derived image: the release it starts from, with the JRE installed

    @property
    def repository(self) -> str:
        return f"kafka-lab/{self.name}"


RELEASES = {
    "debian12": Release("debian12", "bookworm", "openjdk-17-jre-headless"),
    "debian13": Release("debian13", "trixie", "openjdk-21-jre-headless"),
    "debian12-java": Release("debian12-java", "bookworm", "openjdk-17-jre-headless", base="debian12"),
}
DEFAULT_RELEASES = ("debian12", "debian13", "debian12-java")


def parse_one_line_sources(text: str) -> list[str]:
    """URIs of `deb` lines in the one-line sources.list format."""
    uris = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        parts = re.sub(r"\[[^]]*\]", " ", line).split()
        if len(parts) >= 2:
            uris.append(parts[1])
    return uris


def parse_deb822_sources(text: str) -> list[str]:
    """URIs of enabled `Types: deb` stanzas in the deb822 (.sources) format."""
    uris: list[str] = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if "deb" in fields.get("types", "").split() and fields.get("enabled", "yes").lower() != "no":
            uris.extend(fields.get("uris", "").split())
    return uris


def is_debian_archive(uri: str) -> bool:
    """A Debian main archive (…/debian), not the security archive, ports, or third-party repos."""
    return uri.rstrip("/").endswith("/debian")


def source_files() -> list[Path]:
    files: list[Path] = []
    for entry in APT_SOURCE_DIRS:
        if entry.is_file():
            files.append(entry)
        elif entry.is_dir():
            files.extend(sorted(p for p in entry.iterdir() if p.suffix in (".list", ".sources")))
    return files


def debian_mirror(files: list[Path] | None = None) -> str:
    """The Debian mirror the machine's apt sources name; never hard-coded."""
    for path in source_files() if files is None else files:
        text = path.read_text(errors="replace")
        uris = parse_deb822_sources(text) if path.suffix == ".sources" else parse_one_line_sources(text)
        for uri in uris:
            if is_debian_archive(uri):
                return uri.rstrip("/")
    raise LabError("no Debian archive (…/debian) found in /etc/apt/sources.list or /etc/apt/sources.list.d")


def build_script() -> str:
    """The code that builds a rootfs; edits elsewhere in this module don't force a rebuild."""
    return "".join(inspect.getsource(function) for function in (build, chroot, configure))


def recipe(release: Release, mirror: str) -> dict[str, object]:
    """Everything that decides an image's contents; its hash is the image tag. A derived image's
    recipe holds its base's, so a new base makes a new derived image."""
    data: dict[str, object] = {
        "release": release.suite,
        "mirror": mirror,
        "packages": sorted(BASE_PACKAGES),
        "jre": release.jre,
        "masked": sorted(MASKED_UNITS),
        "script": hashlib.sha256(build_script().encode()).hexdigest(),
    }
    if release.base:
        data["base"] = recipe(RELEASES[release.base], mirror)
        data["derive"] = hashlib.sha256(inspect.getsource(derive).encode()).hexdigest()
    return data


def recipe_hash(data: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


def image_exists(ref: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", ref], capture_output=True).returncode == 0


def ensure_image(name: str = "debian12") -> str:
    """Build the image when its recipe changed; returns the `:latest` reference."""
    release = RELEASES[name]
    mirror = debian_mirror()
    tag = recipe_hash(recipe(release, mirror))
    ref, latest = f"{release.repository}:{tag}", f"{release.repository}:latest"
    if not image_exists(ref):
        if release.base:
            base = ensure_image(release.base)
            with step(f"build image {ref} ({base} with {release.jre} installed)"):
                derive(release, base, ref)
        else:
            with step(f"build image {ref} ({release.suite} from {mirror})"):
                build(release, mirror, ref)
    run(["docker", "tag", ref, latest])
    return latest


def derive(release: Release, base: str, ref: str) -> None:
    """The base image with its pre-fetched JRE installed (from apt's cache: no network), committed."""
    container = f"kafka-lab-derive-{release.name}"
    subprocess.run(["docker", "rm", "-f", container], capture_output=True)
    try:
        run(
            [
                "docker",
                "run",
                "--name",
                container,
                "--network",
                "none",
                "-e",
                "DEBIAN_FRONTEND=noninteractive",
                base,
                "apt-get",
                "install",
                "-y",
                "-qq",
                "--no-download",
                release.jre,
            ]
        )
        run(
            [
                "docker",
                "commit",
                "--change",
                'CMD ["/sbin/init"]',
                "--change",
                f"LABEL {IMAGE_LABEL}={release.name}",
                container,
                ref,
            ]
        )
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)


def build(release: Release, mirror: str, ref: str) -> None:
    rootfs = config.IMAGE_DIR / f"{release.name}-rootfs"
    if rootfs.exists():
        shutil.rmtree(rootfs)
    rootfs.parent.mkdir(parents=True, exist_ok=True)
    with step("debootstrap"):
        run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(BASE_PACKAGES)}",
                release.suite,
                rootfs,
                mirror,
            ]
        )
    with step("configure rootfs"):
        configure(rootfs, release, mirror)
    with step("docker import"):
        tar = subprocess.Popen(
            ["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE
        )
        imported = subprocess.run(
            [
                "docker",
                "import",
                "--change",
                'CMD ["/sbin/init"]',
                "--change",
                f"LABEL {IMAGE_LABEL}={release.name}",
                "-",
                ref,
            ],
            stdin=tar.stdout,
            capture_output=True,
        )
        assert tar.stdout is not None
        tar.stdout.close()
        tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise LabError(f"docker import failed: {imported.stderr.decode(errors='replace')}")
    shutil.rmtree(rootfs)


def chroot(rootfs: Path, *cmd: str) -> None:
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
    run(["chroot", rootfs, *cmd], env=env)


def configure(rootfs: Path, release: Release, mirror: str) -> None:
    security = mirror.rsplit("/", 1)[0] + "/debian-security"
    (rootfs / "etc/apt/sources.list").write_text(
        f"deb {mirror} {release.suite} main\n"
        f"deb {mirror} {release.suite}-updates main\n"
        f"deb {security} {release.suite}-security main\n"
    )
    # Keep downloaded packages: the pre-fetched JRE is the point of the cache.
    (rootfs / "etc/apt/apt.conf.d/99kafka-lab").write_text(
        'APT::Keep-Downloaded-Packages "true";\nAPT::Install-Recommends "false";\n'
    )
    shutil.copy2("/etc/resolv.conf", rootfs / "etc/resolv.conf")
    chroot(rootfs, "apt-get", "update", "-qq")
    chroot(rootfs, "apt-get", "clean")  # drop debootstrap's own packages, keep only the JRE's
    chroot(rootfs, "apt-get", "install", "-y", "-qq", "--download-only", release.jre)
    for unit in MASKED_UNITS:
        link = rootfs / "etc/systemd/system" / unit
        link.unlink(missing_ok=True)
        link.symlink_to("/dev/null")
    (rootfs / "etc/machine-id").write_text("")
    (rootfs / "etc/hostname").write_text("kafka-lab\n")
    (rootfs / "etc/resolv.conf").unlink()


def image_tags() -> list[str]:
    out = run(
        ["docker", "images", "--filter", f"label={IMAGE_LABEL}", "--format", "{{.Repository}}:{{.Tag}}"],
        capture=True,
    )
    return sorted(set(out.split()))
