"""The kafka role's certificate tasks (roles/kafka/tasks/tls.yml) with the user's own CA and with a CA key
encrypted by kafka_tls_ca_key_passphrase: the node's certificate is signed by the right CA for the node's
address, the passphrase-protected key is really encrypted, a wrong passphrase fails the run, and no
passphrase is printed. Runs on the control node only (a local host stands for the node)."""

from __future__ import annotations

import datetime
import ipaddress
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.unit.conftest import ansible_playbook

PASSPHRASE = "Ca-pass-7Qw-unit"
WRONG = "Not-the-pass-3Zk"

PLAYBOOK = [
    {
        "name": "Issue the node's certificate",
        "hosts": "broker",
        "gather_facts": False,
        "tasks": [
            {
                "name": "The kafka role's certificate tasks",
                "ansible.builtin.include_role": {"name": "kafka_aws.kafka.kafka", "tasks_from": "tls"},
            }
        ],
    }
]


def run(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    """tls.yml for one local broker, 127.0.0.7 on an SSL listener, kafka_tls_dir in tmp_path/tls."""
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "kafka_cluster_name": "tls-unit",
                "kafka_tls_dir": str(tmp_path / "tls"),
                "kafka_listeners": [
                    {"name": "INTERNAL", "port": 9091, "protocol": "SSL"},
                    {"name": "CLIENT", "port": 9092, "protocol": "SSL"},
                ],
                **variables,
            },
            "children": {
                "broker": {"hosts": {"n1": {"kafka_host_address": "127.0.0.7", "kafka_broker_id": 1}}},
                "zookeeper": {"hosts": {"n1": None}},
            },
        }
    }
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "play.yml").write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False))
    return ansible_playbook("-i", str(tmp_path / "inventory.yml"), str(tmp_path / "play.yml"), timeout=300)


def own_ca(folder: Path, passphrase: str) -> tuple[Path, Path]:
    """A CA of the user's own, its key encrypted with `passphrase`."""
    folder.mkdir(parents=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "The user's own CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "ca.pem", folder / "ca.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase.encode()),
        )
    )
    return cert_path, key_path


def node_certificate(tmp_path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate((tmp_path / "tls" / "nodes" / "n1.crt").read_bytes())


def assert_issued_for_the_node(cert: x509.Certificate, ca_path: Path) -> None:
    ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
    cert.verify_directly_issued_by(ca)  # raises unless the CA signed it
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.7") in names.get_values_for_type(x509.IPAddress)


def assert_no_passphrase(result: subprocess.CompletedProcess) -> None:
    for secret in (PASSPHRASE, WRONG):
        assert secret not in result.stdout + result.stderr


@pytest.mark.parametrize("passphrase", ["", PASSPHRASE], ids=["plain key", "encrypted key"])
def test_the_users_own_ca_signs_the_node_certificate(tmp_path: Path, passphrase: str):
    ca_cert, ca_key = own_ca(tmp_path / "own", passphrase or "unused")
    if not passphrase:
        # a plain key: written again without encryption
        key = serialization.load_pem_private_key(ca_key.read_bytes(), b"unused")
        ca_key.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    result = run(
        tmp_path,
        kafka_tls_ca_cert=str(ca_cert),
        kafka_tls_ca_key=str(ca_key),
        kafka_tls_ca_key_passphrase=passphrase,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert_issued_for_the_node(node_certificate(tmp_path), ca_cert)
    # no CA of the toolkit's own beside it
    assert not (tmp_path / "tls" / "ca.key").exists() and not (tmp_path / "tls" / "ca.crt").exists()
    assert_no_passphrase(result)


def test_a_created_ca_key_is_encrypted_and_a_wrong_passphrase_fails(tmp_path: Path):
    result = run(tmp_path, kafka_tls_ca_key_passphrase=PASSPHRASE)
    assert result.returncode == 0, result.stdout[-3000:]
    ca_key = (tmp_path / "tls" / "ca.key").read_bytes()
    assert b"ENCRYPTED" in ca_key
    with pytest.raises((TypeError, ValueError)):
        serialization.load_pem_private_key(ca_key, None)
    serialization.load_pem_private_key(ca_key, PASSPHRASE.encode())
    assert_issued_for_the_node(node_certificate(tmp_path), tmp_path / "tls" / "ca.crt")
    assert_no_passphrase(result)

    wrong = run(tmp_path, kafka_tls_ca_key_passphrase=WRONG)
    assert wrong.returncode != 0
    assert "wrong passphrase" in wrong.stdout.lower()
    # the CA is the same: a wrong passphrase never mints a new one
    assert (tmp_path / "tls" / "ca.key").read_bytes() == ca_key
    assert_no_passphrase(wrong)
