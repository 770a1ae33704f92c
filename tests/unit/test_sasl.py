"""SASL facts (plugins/filter/sasl.py) and the admin client's reading of a Java client properties file."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from pathlib import Path

from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[2] / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.filter import sasl  # noqa: E402
from ansible_collections.kafka_aws.kafka.plugins.module_utils import kafka_admin  # noqa: E402

LISTENERS = [
    {"name": "INTERNAL", "port": 9091, "protocol": "SASL_SSL"},
    {"name": "CLIENT", "port": 9092, "protocol": "SASL_SSL"},
]
CONTROLLER = {"name": "CONTROLLER", "port": 9093, "protocol": "SASL_SSL"}


def problems(listeners=LISTENERS, controller=CONTROLLER, password="pw", authorizer=True, kraft=True):
    return sasl.sasl_problems(
        listeners, controller, "INTERNAL", "CLIENT", "admin", password, authorizer, kraft
    )


def test_uses_sasl():
    assert sasl.uses_sasl(LISTENERS)
    assert not sasl.uses_sasl([{"name": "A", "protocol": "SSL"}, {"name": "B", "protocol": "PLAINTEXT"}])


def test_jaas_login_lines():
    assert sasl.jaas_login("SCRAM-SHA-512", "admin", "pw") == (
        'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="pw";'
    )
    assert sasl.jaas_login("PLAIN", "admin", "pw", {"admin": "pw"}) == (
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="pw" '
        'user_admin="pw";'
    )


def kafka_hi(password: bytes, salt: bytes, iterations: int) -> bytes:
    """Kafka's ScramFormatter.hi, written out: HMAC chained over the iterations, XORed together."""
    ui = hmac.new(password, salt + b"\x00\x00\x00\x01", hashlib.sha512).digest()
    result = bytearray(ui)
    for _ in range(iterations - 1):
        ui = hmac.new(password, ui, hashlib.sha512).digest()
        result = bytearray(a ^ b for a, b in zip(result, ui, strict=True))
    return bytes(result)


def test_format_argument_holds_a_salted_password_kafka_would_compute_and_not_the_password():
    argument = sasl.scram_format_argument("admin", "s3cret,with]odd=chars", 4096)
    match = re.fullmatch(
        r"SCRAM-SHA-512=\[name=admin,salt=([^,]+),saltedpassword=([^,]+),iterations=4096\]", argument
    )
    assert match, argument
    salt, salted = (base64.b64decode(group) for group in match.groups())
    assert salted == kafka_hi(b"s3cret,with]odd=chars", salt, 4096)
    assert "s3cret" not in argument
    assert sasl.scram_format_argument("admin", "x", 4096) != sasl.scram_format_argument("admin", "x", 4096)


def test_a_secured_kraft_cluster_passes():
    assert problems() == []


def test_the_authorizer_needs_sasl_on_the_listeners_it_relies_on():
    plain = [{**entry, "protocol": "SSL"} for entry in LISTENERS]
    found = problems(listeners=plain, controller={**CONTROLLER, "protocol": "SSL"})
    assert len(found) == 3
    assert "kafka_inter_broker_listener (INTERNAL)" in found[0] and "ANONYMOUS" in found[0]
    assert "kafka_client_listener (CLIENT)" in found[1]
    assert "kafka_controller_listener" in found[2]
    # ZooKeeper mode has no controller listener to check
    assert len(problems(listeners=plain, controller={**CONTROLLER, "protocol": "SSL"}, kraft=False)) == 2


def test_a_sasl_listener_needs_the_admin_password_and_a_password_is_never_quoted_back():
    assert any("set kafka_sasl_admin_password" in p for p in problems(password="", authorizer=False))
    found = problems(password='bad"pw')
    assert found == [
        "kafka_sasl_admin_password: the password holds a double quote, a backslash or a line break; "
        "choose another"
    ]
    assert not any('bad"pw' in p for p in found)


def test_user_problems_name_the_user_and_the_fix():
    users = [
        {"name": "alice", "password": "a"},
        {"name": "alice", "password": "b"},
        {"name": "bad name", "password": "c"},
        {"name": "bob"},
        {"name": "carol", "state": "absent"},
        {"name": "admin", "password": "d"},
        {"name": "dave", "password": "line\nbreak"},
    ]
    found = sasl.user_problems(users, "admin")
    assert "kafka_sasl_users[2] (bad name): name must be letters, digits, '.', '_', '@' or '-'" in found
    assert "kafka_sasl_users[3] (bob): give a password (from Ansible Vault or the environment)" in found
    assert any(p.startswith("kafka_sasl_users[5] (admin): admin is kafka_sasl_admin_user") for p in found)
    assert any(p.startswith("kafka_sasl_users[6] (dave): the password holds") for p in found)
    assert found[-1] == "kafka_sasl_users: names declared twice: alice"
    assert not any("carol" in p for p in found)  # absent needs no password
    assert len(found) == 5


def test_acl_problems_are_the_modules_own_rules():
    assert sasl.acl_problems([]) == []
    found = sasl.acl_problems(
        [{"principal": "alice", "resource_type": "topic", "resource_name": "t", "operations": ["read"]}]
    )
    assert len(found) == 1 and "User:<name>" in found[0]


def test_a_java_client_file_becomes_librdkafka_settings():
    properties = kafka_admin.read_properties(
        "security.protocol=SASL_SSL\n"
        "ssl.truststore.type=PEM\n"
        "ssl.truststore.location=/etc/kafka/tls/ca.pem\n"
        "sasl.mechanism=SCRAM-SHA-512\n"
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="admin" password="p=w";\n'
    )
    assert kafka_admin.client_settings("b:9092", properties, {"client.id": "x"}) == {
        "security.protocol": "SASL_SSL",
        "ssl.ca.location": "/etc/kafka/tls/ca.pem",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "admin",
        "sasl.password": "p=w",
        "client.id": "x",
        "bootstrap.servers": "b:9092",
    }


def test_hide_secrets_adds_only_the_secret_values():
    hidden: set[str] = set()
    kafka_admin.hide_secrets(
        hidden, {"sasl.username": "admin", "sasl.password": "pw", "security.protocol": "SSL"}
    )
    assert hidden == {"pw"}


def test_allowing_everyone_where_no_acl_is_found_needs_the_authorizer():
    def allow(authorizer: bool) -> list[str]:
        return sasl.sasl_problems(
            LISTENERS,
            CONTROLLER,
            "INTERNAL",
            "CLIENT",
            "admin",
            "pw",
            authorizer,
            kraft=True,
            allow_if_no_acl=True,
        )

    assert allow(True) == []
    assert allow(False) == [
        "kafka_allow_everyone_if_no_acl applies only with kafka_authorizer: "
        "turn the authorizer on or remove it"
    ]
