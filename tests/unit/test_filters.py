"""The roles' filter plugins: server.properties blocks, Apache checksum formats, the node id rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible.plugins.loader import init_plugin_loader

from tests.unit.conftest import load

init_plugin_loader([str(Path(__file__).resolve().parents[2] / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.filter import cluster, kraft, tls  # noqa: E402

props = load("plugins/filter/kafka_properties.py", "kafka_properties_filter")


def test_blocks_merge_in_order_and_overrides_win():
    blocks = {
        "base": {"broker.id": 3, "auto.create.topics.enable": False, "num.partitions": 3},
        "listeners": {"listeners": ["INTERNAL://10.0.0.1:9091", "CLIENT://10.0.0.1:9092"]},
        "rack": {"broker.rack": None},
        "replication": {"num.partitions": 6},
    }
    merged = props.kafka_properties(blocks, {"log.retention.hours": 72, "num.partitions": 12})
    assert merged == {
        "broker.id": "3",
        "auto.create.topics.enable": "false",
        "num.partitions": "12",
        "listeners": "INTERNAL://10.0.0.1:9091,CLIENT://10.0.0.1:9092",
        "log.retention.hours": "72",
    }


def test_rendered_file_is_sorted_key_value_lines():
    text = props.kafka_properties_text({"z.key": "1", "a.key": "true", "m": "x,y"})
    assert text == "a.key=true\nm=x,y\nz.key=1\n"


def test_line_breaks_and_bad_blocks_are_refused():
    with pytest.raises(AnsibleFilterError):
        props.kafka_properties({"base": {"a": "1\nb=2"}})
    with pytest.raises(AnsibleFilterError):
        props.kafka_properties({"base": ["not", "a", "mapping"]})


# -- node_id_problems: controller and broker ids share one namespace -----------------------------------


def test_kraft_nodes_with_node_ids_only_pass():
    hostvars = {f"c{i}": {"kafka_node_id": i} for i in (1, 2, 3)}
    hostvars["b4"] = {"kafka_node_id": "4"}  # a broker tagged with a node id only
    hostvars["b5"] = {"kafka_broker_id": 5, "kafka_node_id": "5"}  # both, equal (int and canonical string)
    hostvars["b6"] = {"kafka_broker_id": "6"}  # a broker id only: its node id
    assert cluster.node_id_problems(list(hostvars), hostvars) == []


def test_a_controller_node_id_equal_to_a_broker_id_is_reported_naming_both():
    hostvars = {f"b{i}": {"kafka_broker_id": i} for i in (1, 2, 3)}  # migration: ZooKeeper-mode brokers
    hostvars |= {"c1": {"kafka_node_id": 3}, "c2": {"kafka_node_id": 101}, "c3": {"kafka_node_id": 102}}
    assert cluster.node_id_problems(list(hostvars), hostvars) == [
        "b3 and c1 have the same node id 3 (kafka_node_id, else kafka_broker_id): controller and broker ids "
        "share one namespace, each must be unique"
    ]


def test_differing_missing_and_bad_ids_are_reported_per_host():
    hostvars = {
        "differ": {"kafka_broker_id": 4, "kafka_node_id": 5},
        "neither": {"kafka_host_address": "10.0.0.9"},
        "bad": {"kafka_node_id": "01"},
        "zero": {"kafka_broker_id": 0, "kafka_node_id": 9},
    }
    assert cluster.node_id_problems(list(hostvars), hostvars) == [
        "differ has kafka_broker_id 4 and kafka_node_id 5: a broker's node id is its broker id; keep one "
        "variable or make them equal",
        "neither has neither kafka_node_id nor kafka_broker_id",
        "bad: kafka_node_id must be an integer between 1 and 2147483647 written in plain digits (no sign, "
        "spaces, decimal point or leading zeros), got '01'",
        "zero: kafka_broker_id must be an integer between 1 and 2147483647, got 0",
    ]


def test_a_host_whose_ids_differ_still_claims_its_node_id():
    hostvars = {"a": {"kafka_broker_id": 1, "kafka_node_id": 2}, "b": {"kafka_node_id": 2}}
    problems = cluster.node_id_problems(["a", "b"], hostvars)
    assert len(problems) == 2 and problems[1].startswith("a and b have the same node id 2")


def test_node_id_problems_is_a_filter():
    assert cluster.FilterModule().filters()["node_id_problems"] is cluster.node_id_problems


# -- the JMX exporter agent: its JVM option and the metrics ports' checks ------------------------------------


def test_jmx_agent_option_binds_the_host_address_and_is_empty_without_a_port():
    jar, rules = "/opt/jmx_prometheus_javaagent-1.0.1.jar", "/etc/kafka/jmx_exporter.yml"
    assert cluster.jmx_agent_option(7071, jar, "10.0.1.5", rules) == f"-javaagent:{jar}=10.0.1.5:7071:{rules}"
    assert (
        cluster.jmx_agent_option("7071", jar, "fd00::5", rules) == f"-javaagent:{jar}=[fd00::5]:7071:{rules}"
    )
    assert cluster.jmx_agent_option(0, jar, "10.0.1.5", rules) == ""


def test_metrics_ports_must_be_free_distinct_and_in_range():
    bound = [9091, 9092, "2181"]
    assert (
        cluster.metrics_port_problems({"kafka_metrics_port": 7071, "zookeeper_metrics_port": 7072}, bound)
        == []
    )
    assert cluster.metrics_port_problems({"kafka_metrics_port": 0, "zookeeper_metrics_port": 0}, bound) == []
    assert cluster.metrics_port_problems(
        {"kafka_metrics_port": 9092, "zookeeper_metrics_port": 70000}, bound
    ) == [
        "kafka_metrics_port=9092 is a port a listener or ZooKeeper binds; pick another",
        "zookeeper_metrics_port=70000 must be 0 (no agent) or 1-65535",
    ]
    assert cluster.metrics_port_problems(
        {"kafka_metrics_port": 7071, "zookeeper_metrics_port": "7071"}, bound
    ) == [
        "kafka_metrics_port and zookeeper_metrics_port are both 7071; ZooKeeper and Kafka may share a host, "
        "so give each its own port"
    ]


def test_restart_due_keeps_the_order_and_takes_only_pending_hosts_of_the_play():
    hostvars = {
        "c-1": {"_kafka_restart_pending": True},
        "b-4": {"_kafka_restart_pending": False},
        "b-5": {},
        "b-6": {"_kafka_restart_pending": True},
        "b-7": {"_kafka_restart_pending": True},
        "z-1": {"_zookeeper_restart_pending": True},
    }
    order = ["b-7", "c-1", "b-4", "b-5", "b-6", "z-1"]
    play = ["c-1", "b-4", "b-5", "b-6", "z-1"]
    assert cluster.restart_due(order, hostvars, "kafka", play) == ["c-1", "b-6"]
    assert cluster.restart_due(order, hostvars, "zookeeper", play) == ["z-1"]


TLS_LISTENERS = [
    {"name": "INTERNAL", "port": 9091, "protocol": "SSL"},
    {"name": "CLIENT", "port": 9092, "protocol": "SSL"},
    {"name": "EXTERNAL", "port": 9094, "protocol": "SSL", "advertise": "public-dns"},
    {"name": "LB", "port": 9095, "protocol": "SSL", "advertise": "kafka-1.example.com"},
]


def test_a_broker_certificate_covers_its_address_and_every_advertised_name_once():
    host = {
        "kafka_host_address": "10.0.1.5",
        "kafka_ec2_public_dns_name": "ec2-3-4-5-6.compute.amazonaws.com",
    }
    names = tls.tls_names(TLS_LISTENERS, host, True, ["kafka.internal", "10.0.1.5"])
    assert names == ["10.0.1.5", "ec2-3-4-5-6.compute.amazonaws.com", "kafka-1.example.com", "kafka.internal"]
    assert tls.subject_alt_names(names) == [
        "IP:10.0.1.5",
        "DNS:ec2-3-4-5-6.compute.amazonaws.com",
        "DNS:kafka-1.example.com",
        "DNS:kafka.internal",
    ]


def test_a_controller_certificate_covers_its_address_only_and_ipv6_is_an_ip():
    host = {"kafka_host_address": "fd00::5", "kafka_ec2_public_dns_name": "ec2.example.com"}
    names = tls.tls_names(TLS_LISTENERS, host, False, [])
    assert names == ["fd00::5"]
    assert tls.subject_alt_names(names) == ["IP:fd00::5"]


def test_profiles_carry_where_the_ca_is_on_their_host():
    files = cluster.profile_files(
        [{"name": "p", "type": "producer"}], "/etc/kafka/clients", "/etc/kafka/tls/ca.pem", mode="0640"
    )
    assert files == [
        {
            "src": "client.properties.j2",
            "dest": "/etc/kafka/clients/p.properties",
            "vars": {"item": {"name": "p", "type": "producer"}, "truststore": "/etc/kafka/tls/ca.pem"},
            "secret": True,
            "mode": "0640",
        }
    ]


def test_tls_is_on_when_a_listener_encrypts():
    assert tls.uses_tls(TLS_LISTENERS)
    assert tls.uses_tls([{"name": "A", "protocol": "PLAINTEXT"}, {"name": "B", "protocol": "SASL_SSL"}])
    assert not tls.uses_tls(
        [{"name": "A", "protocol": "PLAINTEXT"}, {"name": "B", "protocol": "SASL_PLAINTEXT"}]
    )
    assert not tls.uses_tls([])


def _key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _certificate(subject_key, issuer_key, issuer_name: str, names: list[str], days: int):
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    alt = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in names]
    builder = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else issuer_name)])
        )
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
    )
    if alt:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path, obj) -> str:
    from cryptography.hazmat.primitives import serialization

    if hasattr(obj, "private_bytes"):
        data = obj.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    else:
        data = obj.public_bytes(serialization.Encoding.PEM)
    path.write_bytes(data)
    return str(path)


def test_a_node_certificate_is_issued_again_only_when_it_must(tmp_path):
    ca_key, node_key, other_key = _key(), _key(), _key()
    ca = _write(tmp_path / "ca.crt", _certificate(ca_key, ca_key, "CA", [], 3650))
    key = _write(tmp_path / "n.key", node_key)
    names = ["10.0.1.5", "kafka-1.example.com"]

    def due(cert_names, days=365, signer=ca_key, subject=node_key):
        cert = _write(tmp_path / "n.crt", _certificate(subject, signer, "CA", cert_names, days))
        return tls.certificate_due(cert, key, ca, names, 30)

    assert due(names) == ""
    assert due(list(reversed(names))) == ""
    assert due(names, days=20).startswith("it expires ")
    assert due(names[:1]) == "it does not cover exactly 10.0.1.5, kafka-1.example.com"
    assert due(names, signer=other_key).startswith("not issued by the CA")
    assert due(names, subject=other_key).startswith("not the certificate of the key")
    assert (
        tls.certificate_due(str(tmp_path / "none.crt"), key, ca, names, 30)
        == f"{tmp_path}/none.crt is missing"
    )


def test_path_prefixes_lists_every_znode_down_to_the_path():
    assert cluster.path_prefixes("/kafka/lab") == ["/kafka", "/kafka/lab"]
    assert cluster.path_prefixes("/kafka/") == ["/kafka"]
    assert cluster.path_prefixes("/") == []


def machine_use(address: str, unit: str, folder: str, ports: dict[str, int]) -> dict:
    paths = {"kafka_conf_dir": [f"/etc/{folder}"], "kafka_log_dirs": [f"/var/lib/{folder}/data"]}
    return {"address": address, "unit": unit, "paths": paths, "ports": ports}


BROKER_USE = machine_use("10.0.0.1", "kafka", "kafka", {"listener CLIENT": 9092, "kafka_metrics_port": 7071})
TWIN_USE = machine_use(
    "10.0.0.1",
    "kafka-controller",
    "kafka-controller",
    {"kafka_controller_listener port": 9093, "kafka_metrics_port": 7073},
)
COLOCATED_GROUPS = {"broker": ["b1", "b2"], "controller": ["c1", "c2"]}


def colocated_hostvars(**changes: dict) -> dict:
    hostvars = {
        "b1": {"_kafka_machine_use": BROKER_USE},
        "b2": {},
        "c1": {"kafka_colocated_with": "b1", "_kafka_machine_use": TWIN_USE},
        "c2": {"kafka_colocated_with": "b2"},
    }
    for host, values in changes.items():
        hostvars[host] = hostvars[host] | values
    return hostvars


def test_a_controller_beside_a_broker_shares_only_the_address():
    assert cluster.colocation_problems("c1", TWIN_USE, "b1", COLOCATED_GROUPS, colocated_hostvars()) == []
    # the broker's host not in the run: its folders and ports are not known, the rest is checked
    assert cluster.colocation_problems("c2", TWIN_USE, "b2", COLOCATED_GROUPS, colocated_hostvars()) == []


@pytest.mark.parametrize(
    ("use", "owner", "groups", "changes", "message"),
    [
        (TWIN_USE, "c2", COLOCATED_GROUPS, {}, "kafka_colocated_with=c2 must name a broker of the inventory"),
        (
            TWIN_USE,
            "b1",
            {"broker": ["b1", "b2", "c1"], "controller": ["c1", "c2"]},
            {},
            "keep c1 in group controller only",
        ),
        (
            TWIN_USE,
            "b1",
            {"broker": ["b1", "b2"], "controller": ["b1", "c1"]},
            {},
            "b1 is itself a controller",
        ),
        (TWIN_USE, "b1", COLOCATED_GROUPS, {"c2": {"kafka_colocated_with": "b1"}}, "c2 already runs there"),
        (
            machine_use("10.0.0.2", "kafka-controller", "kafka-controller", {}),
            "b1",
            COLOCATED_GROUPS,
            {},
            "its kafka_host_address 10.0.0.2 is not b1's (10.0.0.1)",
        ),
        (
            machine_use("10.0.0.1", "kafka", "kafka-controller", {}),
            "b1",
            COLOCATED_GROUPS,
            {},
            "both would run as kafka.service",
        ),
        (
            machine_use("10.0.0.1", "kafka-controller", "kafka", {}),
            "b1",
            COLOCATED_GROUPS,
            {},
            "kafka_conf_dir /etc/kafka overlaps b1's kafka_conf_dir /etc/kafka",
        ),
        (
            machine_use(
                "10.0.0.1", "kafka-controller", "kafka-controller", {"kafka_controller_listener port": 9092}
            ),
            "b1",
            COLOCATED_GROUPS,
            {},
            "kafka_controller_listener port 9092 is also b1's listener CLIENT",
        ),
    ],
    ids=[
        "owner not a broker",
        "twin a broker",
        "owner a controller",
        "two twins",
        "other address",
        "same unit",
        "same folder",
        "same port",
    ],
)
def test_a_controller_beside_a_broker_is_refused(use, owner, groups, changes, message):
    problems = cluster.colocation_problems("c1", use, owner, groups, colocated_hostvars(**changes))
    assert any(message in problem for problem in problems), problems


CONTROLLER = {"name": "CONTROLLER", "port": 9093, "protocol": "PLAINTEXT"}
BROKER_LISTENERS = [
    {"name": "INTERNAL", "port": 9091, "protocol": "PLAINTEXT"},
    {"name": "CLIENT", "port": 9092, "protocol": "PLAINTEXT"},
]


def test_a_further_controller_listener_of_its_own_passes():
    extra = [{"name": "CONTROLLER_SASL", "port": 9096, "protocol": "SASL_SSL"}]
    assert kraft.controller_listener_problems(CONTROLLER, extra, BROKER_LISTENERS, [], "static") == []
    assert kraft.controller_listener_problems(CONTROLLER, [], BROKER_LISTENERS, ["n1"], "dynamic") == []


@pytest.mark.parametrize(
    ("extra", "combined", "quorum", "message"),
    [
        (
            {"name": "CONTROLLER", "port": 9096, "protocol": "SASL_SSL"},
            [],
            "static",
            "kafka_controller_extra_listeners[0]={'name': 'CONTROLLER', 'port': 9096, "
            "'protocol': 'SASL_SSL'}: its name CONTROLLER is also kafka_controller_listener's or an earlier "
            "one's; rename it.",
        ),
        (
            {"name": "CONTROLLER_SASL", "port": "9093", "protocol": "SASL_SSL"},
            [],
            "static",
            "its port 9093 is also kafka_controller_listener's or an earlier one's; pick another port.",
        ),
        (
            {"name": "CLIENT", "port": 9096, "protocol": "SASL_SSL"},
            [],
            "static",
            "its name CLIENT is also a broker listener in kafka_listeners",
        ),
        (
            {"name": "CONTROLLER_SASL", "port": 9092, "protocol": "SASL_SSL"},
            ["n1", "n2"],
            "static",
            "its port is also a broker listener port on the combined nodes n1, n2; pick another port.",
        ),
        (
            {"name": "controller_sasl", "port": 70000, "protocol": "SASL_SSL"},
            [],
            "static",
            "the name must be upper case (A-Z, 0-9, _) and the port 1-65535.",
        ),
        (
            {"name": "CONTROLLER_SASL", "port": 9096, "protocol": "SASL_SSL"},
            [],
            "dynamic",
            "kafka_controller_extra_listeners: a dynamic quorum keeps each voter's endpoints in its metadata",
        ),
    ],
)
def test_a_further_controller_listener_is_refused(extra, combined, quorum, message):
    problems = kraft.controller_listener_problems(CONTROLLER, [extra], BROKER_LISTENERS, combined, quorum)
    assert len(problems) == 1
    assert message in problems[0]


def test_only_the_broken_controller_listener_is_named():
    extras = [
        {"name": "CONTROLLER_SASL", "port": 9096, "protocol": "SASL_SSL"},
        {"name": "CONTROLLER_TLS", "port": 9096, "protocol": "SSL"},
    ]
    problems = kraft.controller_listener_problems(CONTROLLER, extras, BROKER_LISTENERS, [], "static")
    assert problems == [
        "kafka_controller_extra_listeners[1]={'name': 'CONTROLLER_TLS', 'port': 9096, 'protocol': 'SSL'}: "
        "its port 9096 is also kafka_controller_listener's or an earlier one's; pick another port."
    ]
