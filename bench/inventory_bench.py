"""Inventory speed: kafka_ec2 against amazon.aws.aws_ec2, on identical DescribeInstances pages.

moto's DescribeInstances is quadratic in tags (minutes at 5,000 instances), so the bench records
one real moto response (a lab-seeded instance), synthesizes N instances from it deterministically
(cached under .cache/bench/), and replays the pages (1,000 per page, with NextToken) from a small
HTTP server on 127.0.0.1. Both plugins then parse the very same bytes, and their `--list` results
are first compared host for host (groups, and the variables the roles read: any difference stops the
bench). Printed per size: median wall time and peak RSS of `ansible-inventory --list` for each plugin
(alternating runs), the ratio, the raw paginated DescribeInstances time (boto3 alone, and with
kafka_ec2's lean page parser), and Ansible's own start-up time. Two floors put kafka_ec2's time in
proportion: the full parse plus start-up (what any plugin using boto3 as is pays) and the lean parse
plus start-up (what kafka_ec2 itself cannot go below). Because
`ansible-inventory --list` itself costs time per host (variable merging, JSON output) whatever the
source, the bench also times a static inventory file holding exactly kafka_ec2's result (same hosts,
groups and variables): raw API + static is what any plugin producing this inventory would cost.
Last, kafka_ec2's run split in two: the time spent in the plugin (reading the source, less what
reading the one-host start-up inventory takes) and the time ansible-inventory spends writing the
result (merging each host's variables, JSON output), which any source of the same inventory pays.

Usage: python bench/inventory_bench.py [--sizes 100 1000 5000] [--reps 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The plugin as Ansible imports it: by FQCN through the collection loader (collections/ links the repo).
from ansible.plugins.loader import init_plugin_loader  # noqa: E402

from lab import config, fake_ec2  # noqa: E402

init_plugin_loader([str(ROOT / "collections")])
from ansible_collections.kafka_aws.kafka.plugins.inventory import kafka_ec2  # noqa: E402

BENCH_DIR = config.CACHE_DIR / "bench"
PAGE = 1000
BIN = Path(sys.executable).parent
MEASURE = (
    "import json,resource,subprocess,sys,time;t=time.perf_counter();"
    "r=subprocess.run(sys.argv[1:],stdout=subprocess.PIPE,stderr=subprocess.DEVNULL);"
    "e=time.perf_counter()-t;out=r.stdout.decode();"
    "print(json.dumps({'rc':r.returncode,'seconds':e,'rss_kb':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
    "'hosts':len(json.loads(out).get('broker',{}).get('hosts',[])) if r.returncode==0 else -1}))"
)
# ansible-inventory run in-process, printing (to stderr) how long it spent reading its sources
# (InventoryManager.parse_sources: for kafka_ec2, the plugin's whole work) and writing the result.
PHASES = (
    "import atexit,json,sys,time;from ansible.cli import inventory as cli;"
    "from ansible.inventory.manager import InventoryManager as M;spent={'parse':0.0,'output':0.0}\n"
    "def timed(f,key):\n"
    "    def w(*a,**k):\n"
    "        t=time.perf_counter();r=f(*a,**k);spent[key]+=time.perf_counter()-t;return r\n"
    "    return w\n"
    "M.parse_sources=timed(M.parse_sources,'parse')\n"
    "cli.InventoryCLI.json_inventory=timed(cli.InventoryCLI.json_inventory,'output')\n"
    "cli.InventoryCLI.dump=staticmethod(timed(cli.InventoryCLI.dump,'output'))\n"
    "atexit.register(lambda:print(json.dumps(spent),file=sys.stderr))\n"
    "sys.argv=['ansible-inventory',*sys.argv[1:]];cli.main()"
)


def post(url: str, body: str) -> str:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": (
            "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/ec2/aws4_request, "
            "SignedHeaders=host, Signature=x"
        ),
    }
    with urllib.request.urlopen(urllib.request.Request(url, data=body.encode(), headers=headers)) as response:
        return response.read().decode()


def record() -> dict[str, str]:
    """One real moto DescribeInstances reservation and the zone list, recorded once."""
    cached = BENCH_DIR / "moto-recording.json"
    if cached.exists():
        return json.loads(cached.read_text())
    port = 8796
    server = subprocess.Popen(
        [sys.executable, "-m", "lab.moto_server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(100):
            try:
                post(url, "Action=DescribeRegions&Version=2016-11-15")
                break
            except OSError:
                time.sleep(0.1)
        fake_ec2.seed_cluster(url, "bench", 1, container_prefix="bench-", address_base=11)
        instances = post(url, "Action=DescribeInstances&Version=2016-11-15")
        zones = post(url, "Action=DescribeAvailabilityZones&Version=2016-11-15")
    finally:
        server.kill()
    start, end = (
        instances.index("<reservationSet>") + len("<reservationSet>"),
        instances.index("</reservationSet>"),
    )
    recording = {"item": instances[start:end], "zones": zones}
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(recording))
    return recording


def synthesize(item: str, n: int) -> str:
    """Reservation n (1-based) shaped exactly like the recorded one, with its own ids and tags."""
    address = f"127.1.{n // 250}.{n % 250 + 1}"
    zookeeper = n <= 3
    roles = "zookeeper,broker" if zookeeper else "broker"
    out = item.replace("127.0.0.11", address).replace("ip-127-0-0-11", "ip-" + address.replace(".", "-"))
    out = out.replace("bench-node1", f"bench-{n}").replace("zookeeper,broker", roles)
    out = out.replace(
        "<key>kafka:broker-id</key><value>1</value>", f"<key>kafka:broker-id</key><value>{n}</value>"
    )
    myid = (
        f"<key>zookeeper:myid</key><value>{n}</value>" if zookeeper else "<key>team</key><value>bench</value>"
    )
    out = out.replace("<key>zookeeper:myid</key><value>1</value>", myid)
    out = out.replace("us-east-1a", f"us-east-1{'abc'[n % 3]}")
    for prefix in ("i-", "r-", "eni-", "vol-"):
        marker = out.index(f">{prefix}") + 1
        old = out[marker : out.index("<", marker)]
        out = out.replace(old, f"{prefix}{n:017x}")
    return out


def pages(recording: dict[str, str], size: int) -> list[str]:
    cached = BENCH_DIR / f"pages-{size}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    items = [synthesize(recording["item"], n) for n in range(1, size + 1)]
    result = []
    for start in range(0, size, PAGE):
        token = f"<nextToken>{start + PAGE}</nextToken>" if start + PAGE < size else ""
        result.append(
            '<?xml version="1.0" encoding="utf-8"?>\n<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/'
            f'2016-11-15"><reservationSet>{"".join(items[start : start + PAGE])}</reservationSet>{token}'
            "<requestId>bench</requestId></DescribeInstancesResponse>"
        )
    cached.write_text(json.dumps(result))
    return result


class Replay(BaseHTTPRequestHandler):
    pages: tuple[str, ...] = ()
    zones = ""

    def do_POST(self) -> None:
        body = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        action = body.get("Action", [""])[0]
        if action == "DescribeInstances":
            payload = self.pages[int(body.get("NextToken", ["0"])[0]) // PAGE]
        elif action == "DescribeAvailabilityZones":
            payload = self.zones
        else:
            payload = (
                '<?xml version="1.0"?><DescribeRegionsResponse><regionInfo><item><regionName>us-east-1'
                "</regionName><regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint></item></regionInfo>"
                "</DescribeRegionsResponse>"
            )
        data = payload.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


def configs(endpoint: str, folder: Path) -> dict[str, Path]:
    common = {
        "regions": ["us-east-1"],
        "aws_access_key": "bench",
        "aws_secret_key": "bench",
        "endpoint_url": endpoint,
    }
    ours = folder / "bench.kafka_ec2.yml"
    # rack from the zone name: aws_ec2 sees no zone IDs, and the outputs are compared host for host
    ours.write_text(
        json.dumps(
            {"plugin": "kafka_aws.kafka.kafka_ec2", "cluster": "bench", "rack_source": "zone-name", **common}
        )
    )
    theirs = folder / "bench.aws_ec2.yml"
    theirs.write_text(
        json.dumps(
            {
                "plugin": "amazon.aws.aws_ec2",
                **common,
                "filters": {
                    "tag:kafka:cluster": "bench",
                    "instance-state-name": ["pending", "running", "stopping", "stopped"],
                },
                "hostnames": ["tag:Name"],
                "compose": {
                    "ansible_host": "private_ip_address",
                    "kafka_host_address": "private_ip_address",
                    "kafka_broker_id": "tags['kafka:broker-id'] | int",
                    "zookeeper_myid": "(tags['zookeeper:myid'] | int) if 'zookeeper:myid' in tags else omit",
                    "kafka_rack": "placement.availability_zone",
                    "kafka_cluster_name": "tags['kafka:cluster']",
                },
                "groups": {
                    "zookeeper": "'zookeeper' in tags['kafka:role'].split(',')",
                    "broker": "'broker' in tags['kafka:role'].split(',')",
                },
                "keyed_groups": [
                    {"key": "placement.availability_zone", "prefix": "zone"},
                    {"key": "tags['kafka:cluster']", "prefix": "kafka"},
                ],
            }
        )
    )
    empty = folder / "empty.yml"
    empty.write_text("all:\n  hosts:\n    localhost:\n")
    return {"kafka_ec2": ours, "aws_ec2": theirs, "startup": empty}


ENV = {
    "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
    "ANSIBLE_INVENTORY_ENABLED": "kafka_aws.kafka.kafka_ec2,amazon.aws.aws_ec2,yaml",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def run_ansible(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    """One command in the bench's Ansible environment, its output captured."""
    env = {**os.environ, **ENV}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd=ROOT)


def ansible_inventory(source: Path, measured: bool = False) -> str:
    """`ansible-inventory --list` on one source; measured: through MEASURE, printing time and RSS."""
    cmd = [str(BIN / "ansible-inventory"), "-i", str(source), "--list"]
    if measured:
        cmd = [sys.executable, "-c", MEASURE, *cmd]
    return run_ansible(cmd).stdout


def measure(source: Path) -> dict:
    return json.loads(ansible_inventory(source, measured=True))


def phases(source: Path) -> dict[str, float]:
    """Seconds `ansible-inventory --list` spends reading its source and writing its output."""
    result = run_ansible([sys.executable, "-c", PHASES, "-i", str(source), "--list"])
    return json.loads(result.stderr.strip().splitlines()[-1])


def static_copy(source: Path, folder: Path) -> Path:
    """kafka_ec2's --list result rewritten for the yaml inventory plugin (JSON is valid YAML)."""
    listing = json.loads(ansible_inventory(source))
    hostvars = listing.pop("_meta")["hostvars"]
    groups: dict[str, dict] = {"all": {"hosts": hostvars}}
    for name, group in listing.items():
        if name not in ("all", "ungrouped") and group.get("hosts"):
            groups[name] = {"hosts": dict.fromkeys(group["hosts"])}
    static = folder / "static.json"
    static.write_text(json.dumps(groups))
    return static


# What the roles read of each host, and the groups both inventories build.
ROLE_VARS = (
    "ansible_host",
    "kafka_host_address",
    "kafka_broker_id",
    "zookeeper_myid",
    "kafka_rack",
    "kafka_cluster_name",
)


def plain(value: object) -> object:
    """A --list value without its `__ansible_unsafe` wrapping (aws_ec2 marks every string untrusted,
    kafka_ec2 only strings that could hold a template): the value the roles read either way."""
    if isinstance(value, dict):
        if value.keys() == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def host_view(listing: dict) -> dict[str, tuple]:
    """host -> (its groups among zookeeper/broker/controller/kafka_*/zone_*, the role variables it has)."""
    groups: dict[str, list[str]] = {}
    for name, group in listing.items():
        if name in ("zookeeper", "broker", "controller") or name.startswith(("kafka_", "zone_")):
            for host in group.get("hosts", []):
                groups.setdefault(host, []).append(name)
    hostvars = listing["_meta"]["hostvars"]
    return {
        host: (
            sorted(groups.get(host, [])),
            {v: plain(hostvars[host][v]) for v in ROLE_VARS if v in hostvars[host]},
        )
        for host in hostvars
    }


def same_hosts(sources: dict[str, Path], size: int) -> None:
    """kafka_ec2's and aws_ec2's --list agree host for host; raises naming the first difference."""
    ours, theirs = (host_view(json.loads(ansible_inventory(sources[n]))) for n in ("kafka_ec2", "aws_ec2"))
    if len(ours) != size or ours.keys() != theirs.keys():
        raise SystemExit(f"hosts differ: {len(ours)} kafka_ec2, {len(theirs)} aws_ec2, expected {size}")
    for host in sorted(ours):
        if ours[host] != theirs[host]:
            raise SystemExit(f"{host} differs: kafka_ec2 {ours[host]} / aws_ec2 {theirs[host]}")


def raw_api_seconds(endpoint: str, lean: bool = False) -> float:
    """The paginated DescribeInstances calls alone: boto3 as is, or with kafka_ec2's page parser (lean)."""
    session = boto3.Session(botocore_session=kafka_ec2.botocore_session(lean))
    client = session.client(
        "ec2",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="b",
        aws_secret_access_key="b",
    )
    start = time.perf_counter()
    count = sum(
        len(r["Instances"])
        for page in client.get_paginator("describe_instances").paginate()
        for r in page["Reservations"]
    )
    assert count > 0
    return time.perf_counter() - start


def run(sizes: list[int], reps: int) -> None:
    recording = record()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Replay.zones = recording["zones"]
    with tempfile.TemporaryDirectory() as folder:
        sources = configs(endpoint, Path(folder))
        startup = statistics.median(measure(sources["startup"])["seconds"] for _ in range(reps))
        startup_parse = statistics.median(phases(sources["startup"])["parse"] for _ in range(reps))
        print(f"ansible-inventory start-up (static one-host inventory): {startup:.2f} s")
        print(
            f"{'hosts':>6} {'kafka_ec2 s':>12} {'aws_ec2 s':>10} {'time %':>7} {'kafka_ec2 MiB':>14} "
            f"{'aws_ec2 MiB':>12} {'mem %':>6} {'raw API s':>10} {'lean API s':>11} "
            f"{'vs raw+start-up':>16} {'vs lean+start-up':>17} {'static s':>9} {'vs raw+static':>14} "
            f"{'in plugin s':>12} {'output s':>9}"
        )
        for size in sizes:
            Replay.pages = tuple(pages(recording, size))
            same_hosts(sources, size)
            sources["static"] = static_copy(sources["kafka_ec2"], Path(folder))
            runs: dict[str, list[dict]] = {"kafka_ec2": [], "aws_ec2": [], "static": []}
            for _ in range(reps):
                for name in ("kafka_ec2", "aws_ec2", "static"):  # alternating, same pages
                    result = measure(sources[name])
                    assert result["rc"] == 0 and result["hosts"] == size, (name, result)
                    runs[name].append(result)
            raw = statistics.median(raw_api_seconds(endpoint) for _ in range(reps))
            lean = statistics.median(raw_api_seconds(endpoint, lean=True) for _ in range(reps))
            split = [phases(sources["kafka_ec2"]) for _ in range(reps)]
            in_plugin = statistics.median(p["parse"] for p in split) - startup_parse
            output = statistics.median(p["output"] for p in split)
            ours, theirs, static = (
                statistics.median(r["seconds"] for r in runs[name])
                for name in ("kafka_ec2", "aws_ec2", "static")
            )
            our_mem = max(r["rss_kb"] for r in runs["kafka_ec2"]) / 1024
            their_mem = max(r["rss_kb"] for r in runs["aws_ec2"]) / 1024
            print(
                f"{size:>6} {ours:>12.2f} {theirs:>10.2f} {100 * ours / theirs:>6.0f}% "
                f"{our_mem:>14.0f} {their_mem:>12.0f} {100 * our_mem / their_mem:>5.0f}% "
                f"{raw:>10.2f} {lean:>11.2f} {100 * ours / (raw + startup):>15.0f}% "
                f"{100 * ours / (lean + startup):>16.0f}% {static:>9.2f} "
                f"{100 * ours / (raw + static):>13.0f}% {in_plugin:>12.2f} {output:>9.2f}"
            )
    server.shutdown()
    print(
        "floors: raw+start-up = boto3's full parse of the pages + Ansible's start-up; lean+start-up = "
        "kafka_ec2's lean parse of the same pages + start-up; outputs were identical host for host"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    run(args.sizes, args.reps)


if __name__ == "__main__":
    main()
