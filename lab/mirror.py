"""Artifact mirror: Kafka and ZooKeeper distributions assembled from Maven Central jars.

No Apache mirror is reachable from the lab, so the distributions are built here, in the
official archive layout and file names (https://archive.apache.org/dist), each with a
`.sha512` beside it in `sha512sum` format (`<hex>  <file name>`). The lab serves the folder over
HTTP so that roles download exactly as they would from Apache or an internal mirror. The launcher
scripts (lab/dist) are kafka-aws's own, with the names and interfaces of Apache's.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import yaml

from lab import config
from lab.util import LabError, run, step

KAFKA_ZK_VERSION = "3.9.2"  # newest 3.9.x (ZooKeeper-mode line) on Maven Central
KAFKA_KRAFT_VERSION = "4.4.0"  # newest 4.x on Maven Central
ZOOKEEPER_VERSION = "3.9.4"
SCALA_VERSION = "2.13"
RELOAD4J = ("org.slf4j:slf4j-reload4j:1.7.36", "ch.qos.reload4j:reload4j:1.2.25")
LOG4J2 = ("org.apache.logging.log4j:log4j-core:2.24.3", "org.apache.logging.log4j:log4j-slf4j-impl:2.24.3")
ZOOKEEPER_EXTRAS = (  # what ZooKeeper 3.9 ships in lib/ beside its own jars (optional Maven deps)
    "ch.qos.logback:logback-classic:1.3.15",
    "ch.qos.logback:logback-core:1.3.15",
    "io.dropwizard.metrics:metrics-core:4.1.12.1",
    "org.xerial.snappy:snappy-java:1.1.10.5",
    "commons-cli:commons-cli:1.5.0",
    "jline:jline:2.14.6",
)
DIST_DIR = Path(__file__).with_name("dist")
FOREIGN_NATIVE = re.compile(r"-(osx|windows)-|-linux-aarch_64")  # native jars for other platforms
FIXED_MTIME = 1_700_000_000  # archives are reproducible: same inputs, same bytes, same checksum

# Tool script -> candidate main classes, newest location first; the first one present in the
# resolved jars is used, so each version gets its own real main class.
KAFKA_TOOLS: dict[str, tuple[str, ...]] = {
    "kafka-topics.sh": ("org.apache.kafka.tools.TopicCommand", "kafka.admin.TopicCommand"),
    "kafka-configs.sh": ("org.apache.kafka.tools.ConfigCommand", "kafka.admin.ConfigCommand"),
    "kafka-console-producer.sh": ("org.apache.kafka.tools.ConsoleProducer", "kafka.tools.ConsoleProducer"),
    "kafka-console-consumer.sh": (
        "org.apache.kafka.tools.consumer.ConsoleConsumer",
        "kafka.tools.ConsoleConsumer",
    ),
    "kafka-consumer-groups.sh": (
        "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
        "kafka.admin.ConsumerGroupCommand",
    ),
    "kafka-broker-api-versions.sh": (
        "org.apache.kafka.tools.BrokerApiVersionsCommand",
        "kafka.admin.BrokerApiVersionsCommand",
    ),
    "kafka-get-offsets.sh": ("org.apache.kafka.tools.GetOffsetShell", "kafka.tools.GetOffsetShell"),
    "kafka-reassign-partitions.sh": (
        "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
        "kafka.admin.ReassignPartitionsCommand",
    ),
    "kafka-producer-perf-test.sh": ("org.apache.kafka.tools.ProducerPerformance",),
    "kafka-consumer-perf-test.sh": (
        "org.apache.kafka.tools.ConsumerPerformance",
        "kafka.tools.ConsumerPerformance",
    ),
    "kafka-storage.sh": ("org.apache.kafka.tools.StorageTool", "kafka.tools.StorageTool"),
    "kafka-metadata-quorum.sh": ("org.apache.kafka.tools.MetadataQuorumCommand",),
    "kafka-cluster.sh": ("org.apache.kafka.tools.ClusterTool", "kafka.tools.ClusterTool"),
    "kafka-acls.sh": ("org.apache.kafka.tools.AclCommand", "kafka.admin.AclCommand"),
    "kafka-features.sh": ("org.apache.kafka.tools.FeatureCommand", "kafka.admin.FeatureCommand"),
    "zookeeper-shell.sh": ("org.apache.zookeeper.ZooKeeperMainWithTlsSupportForKafka",),
}
# Arguments a launcher puts before the user's, as Apache's script does (zookeeper-shell.sh HOST:PORT ...).
TOOL_ARGS = {"zookeeper-shell.sh": " -server"}


@dataclass(frozen=True)
class Dist:
    """One distribution: Maven coordinates in, an Apache-named archive out."""

    kind: str  # kafka | zookeeper
    version: str
    artifacts: tuple[str, ...]
    extra: tuple[str, ...] = field(default=())

    @property
    def top(self) -> str:
        if self.kind == "kafka":
            return f"kafka_{SCALA_VERSION}-{self.version}"
        return f"apache-zookeeper-{self.version}-bin"

    @property
    def archive_name(self) -> str:
        return f"{self.top}.tgz" if self.kind == "kafka" else f"{self.top}.tar.gz"

    def archive_path(self, root: Path) -> Path:
        sub = self.version if self.kind == "kafka" else f"zookeeper-{self.version}"
        return root / self.kind / sub / self.archive_name

    @property
    def log4j2(self) -> bool:
        return self.kind == "kafka" and int(self.version.split(".")[0]) >= 4


def kafka_dist(version: str) -> Dist:
    logging = LOG4J2 if int(version.split(".")[0]) >= 4 else RELOAD4J
    coords = (f"org.apache.kafka:kafka_{SCALA_VERSION}:{version}", f"org.apache.kafka:kafka-tools:{version}")
    return Dist("kafka", version, coords, logging)


def zookeeper_dist(version: str) -> Dist:
    return Dist("zookeeper", version, (f"org.apache.zookeeper:zookeeper:{version}",), ZOOKEEPER_EXTRAS)


DISTS = (kafka_dist(KAFKA_ZK_VERSION), kafka_dist(KAFKA_KRAFT_VERSION), zookeeper_dist(ZOOKEEPER_VERSION))
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
# Jars the roles download as they are (the JMX exporter agent: kafka_maven_url), served in Maven's own
# layout under maven2/, as Maven Central or a proxy of it serves them: the version the roles default to.
ROLE_DEFAULTS = yaml.safe_load((config.PROJECT_ROOT / "roles/_common/defaults/main.yml").read_text())
MAVEN_JARS = (f"io.prometheus.jmx:jmx_prometheus_javaagent:{ROLE_DEFAULTS['kafka_jmx_exporter_version']}",)


def newest_version(metadata_xml: str, prefix: str) -> str:
    """Newest release in a maven-metadata.xml whose version starts with `prefix` (e.g. "3.9.")."""
    versions = [v.text or "" for v in ElementTree.fromstring(metadata_xml).iter("version")]
    releases = [v for v in versions if v.startswith(prefix) and re.fullmatch(r"[\d.]+", v)]
    if not releases:
        raise LabError(f"no release starting with {prefix} in maven metadata")
    return max(releases, key=lambda v: tuple(int(p) for p in v.split(".")))


def dist_files(dist: Dist) -> dict[str, bytes]:
    """Scripts and configs (relative path -> content) before the main classes are filled in."""
    base = DIST_DIR / dist.kind
    files = {}
    for path in sorted(base.rglob("*")):
        if path.is_file() and not path.name.endswith(".in"):
            files[str(path.relative_to(base))] = path.read_bytes()
    return files


def recipe(dist: Dist) -> str:
    digest = hashlib.sha256(json.dumps([dist.kind, dist.version, dist.artifacts, dist.extra]).encode())
    for path in sorted(DIST_DIR.joinpath(dist.kind).rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(DIST_DIR)).encode() + b"\0" + path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def recipe_file(dist: Dist) -> Path:
    return config.MAVEN_DIR / "recipes" / f"{dist.archive_name}.recipe"


def needs_build(dist: Dist, root: Path) -> bool:
    archive = dist.archive_path(root)
    sha = archive.with_name(archive.name + ".sha512")
    marker = recipe_file(dist)
    return not (archive.exists() and sha.exists() and marker.exists() and marker.read_text() == recipe(dist))


def pom(dist: Dist) -> str:
    deps = []
    for coord in (*dist.artifacts, *dist.extra):
        group, artifact, version = coord.split(":")
        deps.append(
            f"<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
            f"<version>{version}</version></dependency>"
        )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        f"<groupId>kafka-aws.lab</groupId><artifactId>{dist.top}</artifactId><version>1</version>"
        f"<packaging>pom</packaging><dependencies>{''.join(deps)}</dependencies></project>\n"
    )


def maven_dependency(goal: str, *args: str | Path) -> None:
    """Run a goal of Maven's dependency plugin (quiet, batch mode): copy-dependencies, copy."""
    run(["mvn", "-q", "-B", f"{DEPENDENCY_PLUGIN}:{goal}", *args])


def resolve_jars(dist: Dist) -> list[Path]:
    """The runtime closure of the distribution's artifacts, resolved by Maven."""
    work = config.MAVEN_DIR / dist.top
    libs = work / "libs"
    if libs.exists():
        shutil.rmtree(libs)
    work.mkdir(parents=True, exist_ok=True)
    (work / "pom.xml").write_text(pom(dist))
    maven_dependency(
        "copy-dependencies", "-f", work / "pom.xml", "-DincludeScope=runtime", f"-DoutputDirectory={libs}"
    )
    jars = sorted(j for j in libs.glob("*.jar") if not FOREIGN_NATIVE.search(j.name))
    if not jars:
        raise LabError(f"Maven resolved no jars for {dist.top}")
    return jars


def jar_classes(jars: Iterable[Path]) -> set[str]:
    classes = set()
    for jar in jars:
        with zipfile.ZipFile(jar) as archive:
            for name in archive.namelist():
                if name.endswith(".class") and "$" not in name:
                    classes.add(name[: -len(".class")].replace("/", "."))
    return classes


def render_kafka(dist: Dist, files: dict[str, bytes], classes: set[str]) -> dict[str, bytes]:
    flag, server_conf, tools_conf = (
        ("-Dlog4j2.configurationFile", "log4j2.properties", "tools-log4j2.properties")
        if dist.log4j2
        else ("-Dlog4j.configuration", "log4j.properties", "tools-log4j.properties")
    )
    drop = {"config/log4j.properties", "config/tools-log4j.properties"} if dist.log4j2 else set()
    if not dist.log4j2:
        drop |= {
            "config/log4j2.properties",
            "config/tools-log4j2.properties",
            "config/kraft-server.properties",
        }
    out = {}
    for name, content in files.items():
        if name in drop:
            continue
        text = content.decode()
        text = text.replace("@LOG4J_FLAG@", flag).replace("@SERVER_LOG4J@", server_conf)
        out[name] = text.replace("@TOOLS_LOG4J@", tools_conf).encode()
    template = (DIST_DIR / "kafka/bin/tool.sh.in").read_text()
    for script, candidates in KAFKA_TOOLS.items():
        main = next((c for c in candidates if c in classes), None)
        if main is None:
            continue  # the tool does not exist in this version (e.g. zookeeper-shell.sh in 4.x)
        launch = main + TOOL_ARGS.get(script, "")
        out[f"bin/{script}"] = template.replace("@CLASS@", launch).replace("@NAME@", script).encode()
    if "kafka.Kafka" not in classes:
        raise LabError(f"kafka.Kafka not found in the jars resolved for {dist.top}")
    return out


def archive_bytes(top: str, files: dict[str, bytes], jars: list[Path], lib_dir: str) -> bytes:
    """A reproducible .tar.gz: sorted entries, fixed mtimes, owner root."""
    entries = {**files, "NOTICE": NOTICE.encode()}
    for jar in jars:
        entries[f"{lib_dir}/{jar.name}"] = jar.read_bytes()
    dirs = sorted({str(Path(n).parent) for n in entries if str(Path(n).parent) != "."} | {"logs"})
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=FIXED_MTIME, compresslevel=6) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        tar.addfile(_info(top + "/", tarfile.DIRTYPE, 0o755))
        for directory in dirs:
            tar.addfile(_info(f"{top}/{directory}/", tarfile.DIRTYPE, 0o755))
        for name in sorted(entries):
            data = entries[name]
            mode = 0o755 if name.startswith("bin/") else 0o644
            info = _info(f"{top}/{name}", tarfile.REGTYPE, mode)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _info(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name.rstrip("/") if kind == tarfile.DIRTYPE else name)
    info.type, info.mode, info.mtime = kind, mode, FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


NOTICE = (
    "This distribution was assembled by kafka-aws's lab from Apache jars published on Maven Central.\n"
    "The jars are licensed under their own licenses (Apache License 2.0 for Apache Kafka and Apache\n"
    "ZooKeeper); the launcher scripts are kafka-aws's test launchers, not Apache's.\n"
)


def sha512_line(data: bytes, file_name: str) -> str:
    """`sha512sum` format, as Apache publishes for current releases."""
    return f"{hashlib.sha512(data).hexdigest()}  {file_name}\n"


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(path)


def build(dist: Dist, root: Path) -> Path:
    with step(f"resolve jars for {dist.top} (Maven Central)"):
        jars = resolve_jars(dist)
    with step(f"assemble {dist.archive_name} ({len(jars)} jars)"):
        files = dist_files(dist)
        if dist.kind == "kafka":
            files = render_kafka(dist, files, jar_classes(jars))
        data = archive_bytes(dist.top, files, jars, "libs" if dist.kind == "kafka" else "lib")
        archive = dist.archive_path(root)
        write_atomic(archive.with_name(archive.name + ".sha512"), sha512_line(data, archive.name).encode())
        write_atomic(archive, data)
    marker = recipe_file(dist)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(recipe(dist))
    return archive


def maven_path(coordinate: str) -> str:
    """Where Maven's repository layout keeps a jar (group:artifact:version), under maven2/."""
    group, artifact, version = coordinate.split(":")
    return f"maven2/{group.replace('.', '/')}/{artifact}/{version}/{artifact}-{version}.jar"


def ensure_maven_jar(coordinate: str, root: Path) -> Path:
    """Fetch a jar from Maven Central (through Maven, its checksums checked) into the mirror once."""
    target = root / maven_path(coordinate)
    if target.exists():
        return target
    work = config.MAVEN_DIR / "jars"
    with step(f"fetch {coordinate} (Maven Central)"):
        maven_dependency("copy", f"-Dartifact={coordinate}", f"-DoutputDirectory={work}")
        write_atomic(target, (work / target.name).read_bytes())
    return target


def ensure_mirror(root: Path = config.MIRROR_DIR, dists: Iterable[Dist] = DISTS) -> list[Path]:
    """Build what is missing or whose recipe changed, fetch the jars served as they are (MAVEN_JARS);
    returns the archive paths."""
    for coordinate in MAVEN_JARS:
        ensure_maven_jar(coordinate, root)
    paths = []
    for dist in dists:
        if needs_build(dist, root):
            paths.append(build(dist, root))
        else:
            paths.append(dist.archive_path(root))
    return paths


def main() -> None:
    for path in ensure_mirror():
        print(path.relative_to(config.MIRROR_DIR))


if __name__ == "__main__":
    main()
