"""TLS facts of the kafka role: which listeners encrypt, what a node's certificate covers, and whether
the certificate the control node holds for it is still good (read on the control node: no task, no
round trip, so a run with nothing to renew costs nothing here)."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ansible_collections.kafka_aws.kafka.plugins.filter.cluster import advertised_host
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

# Listener protocols that encrypt with TLS (the nodes then get a key store and a trust store).
TLS_PROTOCOLS = ("SSL", "SASL_SSL")


def uses_tls(listeners: Iterable[Mapping[str, Any]]) -> bool:
    """Whether any of these listeners encrypts with TLS."""
    return any(entry.get("protocol") in TLS_PROTOCOLS for entry in listeners)


def tls_names(
    listeners: Iterable[Mapping[str, Any]], host_vars: Mapping[str, Any], broker: bool, extra: Iterable[str]
) -> list[str]:
    """Every name and address a node's certificate covers: its own address (where it binds, and where
    controllers are reached), each listener's advertised host when it is a broker, then `extra`."""
    names = [str(host_vars["kafka_host_address"])]
    if broker:
        names += [host for host in (advertised_host(entry, host_vars) for entry in listeners) if host]
    names += [str(name) for name in extra]
    return list(dict.fromkeys(name for name in names if name))


def subject_alt_name(name: str) -> str:
    """`IP:` for an address, `DNS:` for a name, as a certificate's subjectAltName lists them."""
    try:
        return f"IP:{ipaddress.ip_address(name)}"
    except ValueError:
        return f"DNS:{name}"


def subject_alt_names(names: Iterable[str]) -> list[str]:
    return [subject_alt_name(name) for name in names]


def _alt_names(certificate: x509.Certificate) -> set[str]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {f"DNS:{name}" for name in extension.get_values_for_type(x509.DNSName)} | {
        f"IP:{address}" for address in extension.get_values_for_type(x509.IPAddress)
    }


def certificate_due(
    cert_path: str, key_path: str, ca_path: str, names: Iterable[str], renew_days: int
) -> str:
    """Why the node certificate at `cert_path` must be issued (again), or "" when it is good: its key is
    `key_path`, the CA `ca_path` issued it, it covers exactly `names` and is valid `renew_days` from now."""
    try:
        certificate = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
        ca = x509.load_pem_x509_certificate(Path(ca_path).read_bytes())
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    except FileNotFoundError as missing:
        return f"{missing.filename} is missing"
    except ValueError as error:
        return f"unreadable: {error}"
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return f"not issued by the CA {ca_path}"
    if certificate.public_key() != key.public_key():
        return f"not the certificate of the key {key_path}"
    if _alt_names(certificate) != set(subject_alt_names(names)):
        return "it does not cover exactly " + ", ".join(names)
    horizon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=int(renew_days))
    if certificate.not_valid_after_utc <= horizon:
        return f"it expires {certificate.not_valid_after_utc:%Y-%m-%d}, within {renew_days} days"
    return ""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "uses_tls": uses_tls,
            "tls_names": tls_names,
            "subject_alt_names": subject_alt_names,
            "certificate_due": certificate_due,
        }
