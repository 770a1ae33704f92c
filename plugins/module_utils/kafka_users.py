"""Pure logic of the kafka_user module: validating, planning, diff lines, login verdicts, scrubbing.

Kept apart from the module so that unit tests cover it directly; no Ansible or confluent_kafka import
here. Passwords pass through this code (to be upserted) but never into a result, a diff, a warning or
a message: Change keeps its password out of repr(), and scrub() is the last guard on every text.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")
# Kafka's own bounds (org.apache.kafka.common.security.scram.internals.ScramMechanism): it refuses an
# upsertion outside them.
MIN_ITERATIONS = 4096
MAX_ITERATIONS = 16384
UPDATE_PASSWORD = ("verify", "on_create", "always")
SASL_PROTOCOLS = ("SASL_PLAINTEXT", "SASL_SSL")
MASK = "********"

# A login's errors, as librdkafka reports them (error_cb or the failed request's KafkaError).
# _AUTHENTICATION is what the broker's SASL_AUTHENTICATION_FAILED ("invalid credentials") becomes, but
# librdkafka also uses it for a refused mechanism handshake (the mechanism is not enabled on that
# listener: a configuration problem, not a wrong password, failing the task) and for a transport
# failure in the middle of the SASL exchange (tried again until the timeout, like other errors).
AUTH_ERRORS = ("_AUTHENTICATION", "SASL_AUTHENTICATION_FAILED")
NOT_CREDENTIALS = ("mechanism handshake failed", "Failed to initialize SASL")
TRANSIENT_AUTH = ("SaslAuthenticateRequest failed",)
# Settings whose values are secrets (librdkafka and Java client names): scrubbed from every message.
SECRET_KEY_PARTS = ("password", "secret", "jaas", "token", "key.pem")

Credentials = dict[str, dict[str, int]]  # user -> mechanism -> iterations


@dataclass(frozen=True)
class Change:
    """One alteration: a credential created, updated (re-set) or deleted."""

    name: str
    action: str  # create | update | delete
    mechanism: str
    iterations: int  # what the credential will have (create, update) or had (delete)
    password: str | None = field(default=None, repr=False)  # upserted; never in results
    password_changed: bool = False  # shown as `name: password changed`, never the password


def validate_user(spec: Mapping[str, Any]) -> list[str]:
    """One declared user's errors: a name, a password when present, iterations in Kafka's range."""
    name = spec.get("name") or ""
    if not name.strip():
        return ["a user needs a non-empty name"]
    errors = []
    if spec.get("mechanism", MECHANISMS[-1]) not in MECHANISMS:
        errors.append(f"user {name!r}: mechanism must be one of {', '.join(MECHANISMS)}")
    if spec.get("state", "present") == "present":
        if not spec.get("password"):
            errors.append(f"user {name!r}: a password is required when state is present")
        iterations = spec.get("iterations")
        if not isinstance(iterations, int) or not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
            errors.append(
                f"user {name!r}: iterations {iterations} is outside Kafka's "
                f"{MIN_ITERATIONS}..{MAX_ITERATIONS}"
            )
    return errors


def duplicate_names(specs: Iterable[Mapping[str, Any]]) -> list[str]:
    seen: set[str] = set()
    duplicates: list[str] = []
    for spec in specs:
        name = spec.get("name") or ""
        if name in seen and name not in duplicates:
            duplicates.append(name)
        seen.add(name)
    return duplicates


def validate(specs: list[dict[str, Any]]) -> list[str]:
    """Every error of the declaration; nothing is applied when there is one."""
    errors = [error for spec in specs for error in validate_user(spec)]
    errors += [
        f"user {name!r} is declared more than once (one credential per user and task)"
        for name in duplicate_names(specs)
        if name
    ]
    return errors


def verifies(specs: list[dict[str, Any]], update_password: str) -> bool:
    """Whether the run logs in as users to compare passwords (so it needs a SASL listener)."""
    return update_password == "verify" and any(s["state"] == "present" for s in specs)


def login_protocol_error(settings: Mapping[str, str]) -> str | None:
    protocol = str(settings.get("security.protocol", "PLAINTEXT")).upper()
    if protocol in SASL_PROTOCOLS:
        return None
    return (
        "update_password=verify checks a password by logging in as its user, which needs "
        "security.protocol SASL_PLAINTEXT or SASL_SSL in the login settings: point "
        "login_bootstrap_server/login_config at a SASL listener, or set update_password to "
        "on_create or always"
    )


def login_settings(base: Mapping[str, str], name: str, mechanism: str, password: str) -> dict[str, str]:
    """The short-lived login client's settings: `base` logging in as `name` with `mechanism`."""
    overridden = ("sasl.mechanisms", "sasl.mechanism", "sasl.username", "sasl.password")
    settings = {k: v for k, v in base.items() if k not in overridden}
    settings.update({"sasl.mechanism": mechanism, "sasl.username": name, "sasl.password": password})
    return settings


def to_verify(specs: list[dict[str, Any]], existing: Credentials, update_password: str) -> list[str]:
    """The users whose declared password is compared by a login: present, with that credential."""
    if update_password != "verify":
        return []
    return [
        s["name"] for s in specs if s["state"] == "present" and s["mechanism"] in existing.get(s["name"], {})
    ]


def classify_login_error(name: str, text: str) -> str:
    """`rejected`: the password is wrong; `refused`: the login can't tell (a configuration problem);
    `retry`: anything else (a broker down, a timeout), tried again until the timeout."""
    if name not in AUTH_ERRORS or any(part in text for part in TRANSIENT_AUTH):
        return "retry"
    if any(part in text for part in NOT_CREDENTIALS):
        return "refused"
    return "rejected"


def plan_user(
    spec: Mapping[str, Any], existing: Credentials, update_password: str, stale: Collection[str]
) -> tuple[Change | None, str | None]:
    """One declared user's change (or None) and a warning (or None)."""
    name, mechanism = spec["name"], spec["mechanism"]
    current = existing.get(name, {}).get(mechanism)
    if spec["state"] == "absent":
        return (Change(name, "delete", mechanism, current) if current is not None else None), None
    iterations, password = spec["iterations"], spec["password"]
    if current is None:
        return Change(name, "create", mechanism, iterations, password), None
    if update_password == "on_create":
        if current == iterations:
            return None, None
        return None, (
            f"user {name!r}: the {mechanism} credential has iterations {current}, declared {iterations}; "
            "left alone (update_password=on_create, and changing iterations re-sets the password)"
        )
    changed = update_password == "always" or name in stale
    if changed or current != iterations:
        return Change(name, "update", mechanism, iterations, password, password_changed=changed), None
    return None, None


def plan(
    specs: list[dict[str, Any]], existing: Credentials, update_password: str, stale: Collection[str] = ()
) -> tuple[list[Change], list[str]]:
    """The changes (in declaration order) and warnings; `stale`: users whose login was refused."""
    changes: list[Change] = []
    warnings: list[str] = []
    for spec in specs:
        change, warning = plan_user(spec, existing, update_password, stale)
        if change is not None:
            changes.append(change)
        if warning is not None:
            warnings.append(warning)
    return changes, warnings


def after(existing: Credentials, changes: Iterable[Change]) -> Credentials:
    """The credentials once the changes are applied."""
    result = {name: dict(creds) for name, creds in existing.items()}
    for change in changes:
        creds = result.setdefault(change.name, {})
        if change.action == "delete":
            creds.pop(change.mechanism, None)
        else:
            creds[change.mechanism] = change.iterations
    return result


def applied(changes: Iterable[Change], described: Credentials) -> bool:
    """Whether a description shows every change (a re-set password itself can't be seen)."""
    for change in changes:
        current = described.get(change.name, {}).get(change.mechanism)
        if change.action == "delete" and current is not None:
            return False
        if change.action != "delete" and current != change.iterations:
            return False
    return True


def mechanisms(creds: Credentials, names: Iterable[str]) -> dict[str, list[str]]:
    return {name: sorted(creds.get(name, {})) for name in names}


def credential_lines(creds: Credentials, names: Iterable[str]) -> list[str]:
    return [
        f"{name} ({mechanism}, iterations {iterations})"
        for name in names
        for mechanism, iterations in sorted(creds.get(name, {}).items())
    ]


def diff(existing: Credentials, changes: list[Change]) -> dict[str, str]:
    """Ansible's diff of the changed users: credential lines, and `name: password changed`."""
    names = list(dict.fromkeys(change.name for change in changes))
    before = credential_lines(existing, names)
    after_lines = credential_lines(after(existing, changes), names)
    after_lines += [f"{c.name}: password changed" for c in changes if c.password_changed]
    return {
        "before_header": "SCRAM credentials",
        "after_header": "SCRAM credentials",
        "before": "".join(line + "\n" for line in before),
        "after": "".join(line + "\n" for line in after_lines),
    }


def summary(changes: Iterable[Change]) -> dict[str, list[str]]:
    """User names by what happened to them: created, updated, deleted."""
    result: dict[str, list[str]] = {"created": [], "updated": [], "deleted": []}
    for change in changes:
        result[{"create": "created", "update": "updated", "delete": "deleted"}[change.action]].append(
            change.name
        )
    return result


def secret_values(specs: Iterable[Mapping[str, Any]], *settings: Mapping[str, Any]) -> list[str]:
    """Every declared password and secret-looking setting, longest first (for scrub)."""
    values = {str(s.get("password")) for s in specs if s.get("password")}
    for each in settings:
        values |= {
            str(v)
            for k, v in each.items()
            if v not in (None, "") and any(part in str(k).lower() for part in SECRET_KEY_PARTS)
        }
    return sorted(values, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def scrub_all(value: Any, secrets: list[str]) -> Any:
    """`value` with every secret masked in every string, through dicts, lists and tuples."""
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {scrub_all(k, secrets): scrub_all(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(scrub_all(v, secrets) for v in value)
    return value
