r"""Write a Prometheus configuration that finds a cluster's nodes on EC2 and scrapes their JMX exporters.

    python tools/prometheus_config.py --cluster prod --region eu-west-1 \
        --kafka-port 7071 --zookeeper-port 7072 > /etc/prometheus/prometheus.yml

The instances are discovered with EC2 service discovery (ec2_sd_configs), by the same tags the kafka_ec2
inventory plugin reads: kafka:cluster equal to --cluster, running, kafka:role naming broker or controller
(job kafka, on --kafka-port, the inventory's kafka_metrics_port) or zookeeper (job zookeeper, on
--zookeeper-port, zookeeper_metrics_port; 0 = no job). Each target is the instance's private IP and gets
the labels cluster, node (its Name tag) and zone. The alerting rules of monitoring/kafka_alerts.yml are
loaded (--rules). Prometheus needs ec2:DescribeInstances and ec2:DescribeAvailabilityZones (an instance
role, or --access-key/--secret-key); --endpoint points at another EC2 API (the lab's moto).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "monitoring" / "kafka_alerts.yml"
# The kafka:role tag's values (docs/design.md): a comma-separated list of these.
KAFKA_ROLES = r".*\b(broker|controller)\b.*"
ZOOKEEPER_ROLES = r".*\bzookeeper\b.*"


def discovery(args: argparse.Namespace, port: int) -> dict[str, Any]:
    """One ec2_sd_configs entry: the cluster's running instances, their private IP and `port`."""
    sd: dict[str, Any] = {
        "region": args.region,
        "port": port,
        "refresh_interval": args.refresh_interval,
        "filters": [
            {"name": "tag:kafka:cluster", "values": [args.cluster]},
            {"name": "instance-state-name", "values": ["running"]},
        ],
    }
    if args.endpoint:
        sd["endpoint"] = args.endpoint
    if args.access_key:
        sd |= {"access_key": args.access_key, "secret_key": args.secret_key}
    return sd


def job(args: argparse.Namespace, name: str, port: int, roles: str) -> dict[str, Any]:
    """A scrape job of the instances whose kafka:role matches `roles`, labelled cluster, node and zone."""
    return {
        "job_name": name,
        "ec2_sd_configs": [discovery(args, port)],
        "relabel_configs": [
            # EC2 tag keys become labels with ':' replaced: kafka:role -> __meta_ec2_tag_kafka_role
            {"source_labels": ["__meta_ec2_tag_kafka_role"], "regex": roles, "action": "keep"},
            {"target_label": "cluster", "replacement": args.cluster},
            {"source_labels": ["__meta_ec2_tag_Name"], "target_label": "node"},
            {"source_labels": ["__meta_ec2_availability_zone"], "target_label": "zone"},
        ],
    }


def config(args: argparse.Namespace) -> dict[str, Any]:
    jobs = [job(args, "kafka", args.kafka_port, KAFKA_ROLES)]
    if args.zookeeper_port:
        jobs.append(job(args, "zookeeper", args.zookeeper_port, ZOOKEEPER_ROLES))
    return {
        "global": {"scrape_interval": args.scrape_interval, "evaluation_interval": args.scrape_interval},
        "rule_files": [str(Path(args.rules).resolve())] if args.rules else [],
        "scrape_configs": jobs,
    }


def port(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1-65535, or 0 for none)")
    return number


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cluster", required=True, help="the kafka:cluster tag (kafka_cluster_name)")
    p.add_argument("--region", required=True)
    p.add_argument("--kafka-port", type=port, required=True, help="kafka_metrics_port")
    p.add_argument(
        "--zookeeper-port", type=port, default=0, help="zookeeper_metrics_port (0: no ZooKeeper job)"
    )
    p.add_argument("--endpoint", help="another EC2 API, e.g. the lab's http://127.0.0.1:8766")
    p.add_argument("--access-key")
    p.add_argument("--secret-key")
    p.add_argument("--rules", default=str(RULES), help="alerting rules to load ('' for none)")
    p.add_argument("--scrape-interval", default="15s")
    p.add_argument("--refresh-interval", default="60s", help="how often EC2 is asked for the instances")
    p.add_argument("-o", "--output", help="write here instead of stdout")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.kafka_port == 0:
        parser().error("--kafka-port: the agents' port (kafka_metrics_port) is needed, not 0")
    if bool(args.access_key) != bool(args.secret_key):
        parser().error("--access-key and --secret-key go together")
    text = yaml.safe_dump(config(args), sort_keys=False)
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
