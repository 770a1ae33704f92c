"""SASL facts of the roles: which listeners authenticate, the JAAS login line a node or a client
speaks, and what is wrong with the declared users (read on the control node, no task).

Brokers authenticate with SCRAM-SHA-512 (credentials kept by the cluster: in ZooKeeper, or in the KRaft
metadata log). The KRaft controller listener can't use SCRAM (its credentials live in the very log the
controllers serve), so a SASL controller listener uses PLAIN, with the admin user declared in the
controllers' JAAS file: the mechanism Kafka supports there.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible_collections.kafka_aws.kafka.plugins.module_utils.kafka_acls import validate as acl_validate

SASL_PROTOCOLS = ("SASL_PLAINTEXT", "SASL_SSL")
BROKER_MECHANISM = "SCRAM-SHA-512"
CONTROLLER_MECHANISM = "PLAIN"
LOGIN_MODULES = {
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
}
# Characters a JAAS quoted string and a Java properties value would both need escaped: refused instead.
UNSAFE = re.compile(r'["\\\r\n]')
USER_NAME = re.compile(r"^[A-Za-z0-9._@-]+$")


def sasl_listeners(listeners: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Those of these listeners that authenticate clients with SASL, in order."""
    return [entry for entry in listeners if entry.get("protocol") in SASL_PROTOCOLS]


def uses_sasl(listeners: Iterable[Mapping[str, Any]]) -> bool:
    """Whether any of these listeners authenticates clients with SASL."""
    return bool(sasl_listeners(listeners))


def jaas_login(mechanism: str, user: str, password: str, plain_users: Mapping[str, str] | None = None) -> str:
    """One JAAS login module entry: `<module> required username="u" password="p";`.

    `plain_users` adds PLAIN's server-side `user_<name>="<password>"` pairs (a controller's listener).
    """
    options = {"username": user, "password": password}
    options.update({f"user_{name}": secret for name, secret in (plain_users or {}).items()})
    pairs = " ".join(f'{key}="{value}"' for key, value in options.items())
    return f"{LOGIN_MODULES[mechanism]} required {pairs};"


def scram_format_argument(user: str, password: str, iterations: int) -> str:
    """kafka-storage.sh format's --add-scram value for a SCRAM-SHA-512 user: a fresh salt and the salted
    password (PBKDF2-HMAC-SHA512, Kafka's ScramFormatter.saltedPassword), never the password itself, so no
    character of it needs the tool's quoting (it splits on commas)."""
    salt = os.urandom(24)
    salted = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, int(iterations))
    encode = base64.b64encode
    return (
        f"SCRAM-SHA-512=[name={user},salt={encode(salt).decode()},"
        f"saltedpassword={encode(salted).decode()},iterations={int(iterations)}]"
    )


def user_problems(users: Iterable[Mapping[str, Any]], admin_user: str) -> list[str]:
    """What is wrong with kafka_sasl_users, each with its fix (empty when nothing is)."""
    problems: list[str] = []
    names: list[str] = []
    for index, user in enumerate(users):
        name = str(user.get("name") or "")
        label = f"kafka_sasl_users[{index}] ({name or 'no name'})"
        names.append(name)
        if not USER_NAME.match(name):
            problems.append(f"{label}: name must be letters, digits, '.', '_', '@' or '-'")
        if name == admin_user:
            problems.append(
                f"{label}: {admin_user} is kafka_sasl_admin_user (kafka_sasl_admin_password); remove it here"
            )
        state = user.get("state", "present")
        if state not in ("present", "absent"):
            problems.append(f"{label}: state must be present or absent")
        password = str(user.get("password") or "")
        if state == "present" and not password:
            problems.append(f"{label}: give a password (from Ansible Vault or the environment)")
        problems += password_problems(password, label)
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        problems.append("kafka_sasl_users: names declared twice: " + ", ".join(duplicates))
    return problems


def password_problems(password: str, label: str) -> list[str]:
    """A password that would need escaping in a JAAS entry or a properties file is refused by name only."""
    if UNSAFE.search(password or ""):
        return [f"{label}: the password holds a double quote, a backslash or a line break; choose another"]
    return []


def sasl_problems(
    listeners: list[Mapping[str, Any]],
    controller_listener: Mapping[str, Any],
    inter_broker: str,
    client: str,
    admin_user: str,
    admin_password: str,
    authorizer: bool,
    kraft: bool,
    allow_if_no_acl: bool = False,
    controller_extra: Iterable[Mapping[str, Any]] = (),
) -> list[str]:
    """What is wrong with the SASL and authorizer settings taken together (empty when nothing is).

    `controller_extra`: kafka_controller_extra_listeners (a switch in progress); the authorizer needs SASL on
    `controller_listener`, the one the brokers and the controllers reach each other on."""
    protocols = {str(entry["name"]): str(entry["protocol"]) for entry in listeners}
    controllers = [controller_listener, *controller_extra]
    any_sasl = uses_sasl([*listeners, *controllers]) if kraft else uses_sasl(listeners)
    problems: list[str] = []
    if any_sasl and not USER_NAME.match(admin_user or ""):
        problems.append("kafka_sasl_admin_user must be letters, digits, '.', '_', '@' or '-'")
    if any_sasl and not admin_password:
        problems.append(
            "a listener uses SASL: set kafka_sasl_admin_password "
            "(the brokers' and the toolkit's own user; from Ansible Vault)"
        )
    problems += password_problems(admin_password, "kafka_sasl_admin_password")
    if allow_if_no_acl and not authorizer:
        problems.append(
            "kafka_allow_everyone_if_no_acl applies only with kafka_authorizer: "
            "turn the authorizer on or remove it"
        )
    if authorizer:
        needs = {"kafka_inter_broker_listener": inter_broker, "kafka_client_listener": client}
        for variable, name in needs.items():
            if protocols.get(name) not in SASL_PROTOCOLS:
                problems.append(
                    f"kafka_authorizer needs {variable} ({name}) on SASL_SSL or SASL_PLAINTEXT: "
                    "without a user its traffic is ANONYMOUS and denied"
                )
        if kraft and controller_listener.get("protocol") not in SASL_PROTOCOLS:
            problems.append(
                "kafka_authorizer needs kafka_controller_listener on SASL_SSL or SASL_PLAINTEXT "
                "(PLAIN, the admin user): without a user the brokers' requests to the controllers "
                "are ANONYMOUS and denied"
            )
    return problems


def acl_problems(acls: list[dict[str, Any]]) -> list[str]:
    """What the kafka_acl module would refuse, checked before any host changes (the same rules)."""
    return acl_validate(list(acls))


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "uses_sasl": uses_sasl,
            "sasl_listeners": sasl_listeners,
            "jaas_login": jaas_login,
            "scram_format_argument": scram_format_argument,
            "sasl_user_problems": user_problems,
            "sasl_problems": sasl_problems,
            "acl_problems": acl_problems,
        }
