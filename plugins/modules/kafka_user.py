"""kafka_user: declare Kafka SASL/SCRAM users (create, re-set, delete credentials) with an admin client."""

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_user
short_description: Declare Kafka SASL/SCRAM users with confluent-kafka's admin client
description:
  - Brings a list of SASL/SCRAM credentials to the declared state in one pass - creates missing
    credentials, re-sets those whose iterations (or password, see O(update_password)) differ, and deletes
    those declared absent - through confluent-kafka's C(AdminClient) (Kafka's DescribeUserScramCredentials
    and AlterUserScramCredentials, Kafka 2.7 or later, KRaft or ZooKeeper).
  - The host running the module (typically the control node, with C(delegate_to)) needs the
    C(confluent-kafka) package and must reach the brokers; the admin principal needs the C(Describe) and
    C(Alter) operations on the cluster resource.
  - Plans and validates everything before applying anything - an empty or repeated name, a present user
    without a password, or iterations outside Kafka's 4096..16384 fail with no change at all. The changes
    then go in one AlterUserScramCredentials request, and the module describes the credentials again until
    they show (at most O(timeout) seconds).
  - A user is declared once, with one mechanism; O(users[].state=absent) deletes that mechanism's credential
    only (a credential of the other mechanism stays).
  - Kafka never returns a password (nor its salted hash), so whether a declared password is current is
    checked by logging in as the user (O(update_password=verify)).
  - Passwords never appear in results, diffs, warnings or failure messages (Kafka's own messages included).
  - Supports check mode (the login checks still run, as they change nothing) and diff mode.
version_added: "0.1.0"
author: kafka-aws
extends_documentation_fragment:
  - kafka_aws.kafka.admin_client
options:
  users:
    description: The SCRAM credentials to manage, one per user.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: User name (the SASL username, C(User:name) as a principal).
        type: str
        required: true
      password:
        description: The user's password; required when O(users[].state=present).
        type: str
      mechanism:
        description: The SCRAM mechanism of the credential.
        type: str
        choices: [SCRAM-SHA-256, SCRAM-SHA-512]
        default: SCRAM-SHA-512
      iterations:
        description: PBKDF2 iterations of the stored credential (Kafka accepts 4096 to 16384).
        type: int
        default: 8192
      state:
        description: Whether the user should have a credential of O(users[].mechanism).
        type: str
        choices: [present, absent]
        default: present
  timeout:
    description:
      - Seconds to wait for each admin request, for each login check, and for applied changes to show.
    type: int
    default: 30
  update_password:
    description:
      - What to do with the password of a user that already has a credential of its mechanism.
      - C(verify) logs in as the user with the declared password (a short-lived client from the same
        settings, or O(login_bootstrap_server) and O(login_config), with C(sasl.mechanism) the user's
        mechanism) and re-sets the credential only when the broker refuses the login. This needs
        C(security.protocol) C(SASL_PLAINTEXT) or C(SASL_SSL) in those settings (the task fails before any
        change otherwise) and a listener with the mechanism enabled; any other login error fails the task.
      - C(on_create) sets the password of a new credential only; an existing credential is left alone,
        iterations included (changing them re-sets the password), with a warning when they differ.
      - C(always) re-sets every present credential at every run (always changed).
    type: str
    choices: [verify, on_create, always]
    default: verify
  login_bootstrap_server:
    description:
      - Broker(s) for the login checks of O(update_password=verify) (a SASL listener), when the admin
        connects through another listener; defaults to O(bootstrap_server).
    type: str
  login_config:
    description:
      - Client properties of the login checks, applied over those of O(command_config) and
        O(client_config) (for instance C(security.protocol) and the TLS settings of a SASL listener). The
        login's C(sasl.mechanism), C(sasl.username) and C(sasl.password) are always the user's.
      - Its secret settings are masked in the module's output, like those of O(client_config).
    type: dict
    default: {}
notes:
  - Each verified user costs one client connection and authentication; a refused login may be counted by
    broker-side authentication failure throttling (C(connection.failed.authentication.delay.ms)).
"""

EXAMPLES = r"""
- name: Declare the application users (passwords from the vault)
  kafka_aws.kafka.kafka_user:
    bootstrap_server: 10.0.1.10:9094,10.0.2.10:9094
    # security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512, ssl.ca.location=/etc/kafka/ca.pem
    command_config: /etc/kafka/admin-client.properties
    client_config:
      sasl.username: admin
      sasl.password: "{{ vault_kafka_admin_password }}"
    users:
      - name: orders-service
        password: "{{ vault_orders_service_password }}"
      - name: audit
        password: "{{ vault_audit_password }}"
        mechanism: SCRAM-SHA-256
        iterations: 4096
      - name: retired-app
        state: absent
  delegate_to: localhost
  run_once: true
  diff: true

- name: The admin through a plaintext listener, the password checks through the SASL one
  kafka_aws.kafka.kafka_user:
    bootstrap_server: 10.0.1.10:9092
    login_bootstrap_server: 10.0.1.10:9094
    login_config:
      security.protocol: SASL_SSL
      ssl.ca.location: /etc/kafka/ca.pem
    users:
      - name: orders-service
        password: "{{ vault_orders_service_password }}"
  delegate_to: localhost
  run_once: true

- name: Create missing users only, never touching existing passwords
  kafka_aws.kafka.kafka_user:
    bootstrap_server: 10.0.1.10:9092
    update_password: on_create
    users: "{{ kafka_users }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
created:
  description: Users given a new credential (of their declared mechanism).
  returned: always
  type: list
  elements: str
  sample: [orders-service]
updated:
  description:
    - Users whose credential was re-set (a password that differs, other iterations, or
      O(update_password=always)).
  returned: always
  type: list
  elements: str
  sample: [audit]
deleted:
  description: Users whose credential of the declared mechanism was deleted.
  returned: always
  type: list
  elements: str
  sample: [retired-app]
users:
  description:
    - Each declared user's SCRAM mechanisms after the run, as described by the cluster (in check mode, as
      the run would leave them).
  returned: always
  type: dict
  sample: {orders-service: [SCRAM-SHA-512], audit: [SCRAM-SHA-256], retired-app: []}
"""

import logging
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.kafka_aws.kafka.plugins.module_utils.kafka_admin import (
    AdminBackend,
    client_settings,
    command_properties,
    hide_secrets,
    kafka_error,
    module_settings,
)
from ansible_collections.kafka_aws.kafka.plugins.module_utils.kafka_users import (
    UPDATE_PASSWORD,
    Change,
    Credentials,
    after,
    applied,
    classify_login_error,
    diff,
    login_protocol_error,
    login_settings,
    mechanisms,
    plan,
    scrub,
    scrub_all,
    secret_values,
    summary,
    to_verify,
    validate,
    verifies,
)


def quiet_logger() -> logging.Logger:
    """Where the clients' librdkafka log lines go (nowhere): the module's answer says what happened."""
    logger = logging.getLogger("kafka_aws.kafka.kafka_user.librdkafka")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


def error_name(future: Any, timeout: float) -> str | None:
    """The KafkaError name a request's future failed with (None: it succeeded, or no KafkaError)."""
    try:
        exc = future.exception(timeout=timeout)
    except Exception:  # no answer or cancelled: wait() reports it
        return None
    err = exc.args[0] if exc is not None and exc.args else None
    return err.name() if hasattr(err, "name") else None


def outcome(future: Any, timeout: float) -> str | None:
    """None when the request succeeded, else the broker's or librdkafka's words."""
    try:
        future.result(timeout=timeout)
    except Exception as exc:
        return kafka_error(exc)
    return None


class ScramBackend(AdminBackend):
    """SCRAM credentials through the AdminClient (connect, wait and fail as for topics)."""

    def credentials(self, names: list[str]) -> Credentials:
        """Each user's mechanisms and iterations; {} for a user without any credential."""
        if not names:
            return {}
        try:
            futures = self.client.describe_user_scram_credentials(list(names), request_timeout=self.timeout)
        except (TypeError, ValueError) as exc:
            self.fail(msg=f"describing the SCRAM credentials was refused: {exc}")
        found: Credentials = {}
        for name, future in futures.items():
            if error_name(future, self.timeout) == "RESOURCE_NOT_FOUND":  # no credential at all
                found[name] = {}
                continue
            description = self.wait(future, f"describing the SCRAM credentials of user {name!r}")
            found[name] = {
                info.mechanism.name.replace("_", "-"): int(info.iterations)
                for info in description.scram_credential_infos
            }
        return found

    def alteration(self, change: Change) -> Any:
        api = self.api
        mechanism = api.ScramMechanism[change.mechanism.replace("-", "_")]
        if change.action == "delete":
            return api.UserScramCredentialDeletion(change.name, mechanism)
        info = api.ScramCredentialInfo(mechanism, change.iterations)
        return api.UserScramCredentialUpsertion(change.name, info, str(change.password).encode("utf-8"))

    def alter(self, changes: list[Change]) -> None:
        """All the changes in one request (one alteration per user); fails naming each refused user."""
        try:
            futures = self.client.alter_user_scram_credentials(
                [self.alteration(change) for change in changes], request_timeout=self.timeout
            )
        except (TypeError, ValueError) as exc:
            self.fail(msg=f"changing the SCRAM credentials was refused: {exc}")
        problems = {name: outcome(future, self.timeout) for name, future in sorted(futures.items())}
        refused = [f"user {name!r}: {problem}" for name, problem in problems.items() if problem]
        if refused:
            self.fail(
                msg="changing the SCRAM credentials failed: " + "; ".join(refused),
                changed=len(refused) < len(problems),
            )

    def settle_credentials(self, changes: list[Change], names: list[str], pause: float = 0.3) -> Credentials:
        """Describe again until every change shows (credentials reach the brokers asynchronously)."""
        deadline = time.monotonic() + self.timeout
        while True:
            found = self.credentials(names)
            if applied(changes, found) or time.monotonic() >= deadline:
                return found
            time.sleep(pause)


@dataclass(frozen=True)
class Verdict:
    """What a login with a declared password showed: current, differs, or failed (with the message)."""

    name: str
    outcome: str
    message: str = ""


def login_client(settings: dict[str, Any]) -> Any:
    """The short-lived client a login check authenticates with."""
    from confluent_kafka.admin import AdminClient  # only on this path

    return AdminClient(settings)


def check_login(
    settings: dict[str, str],
    name: str,
    timeout: float,
    factory: Callable[[dict[str, Any]], Any] | None = None,
    step: float = 1.0,
) -> Verdict:
    """Log in as `name` (its settings carry the declared password) and read the metadata.

    librdkafka reports a refused SASL login through error_cb (served by poll()) as _AUTHENTICATION,
    while the metadata request itself only fails later with _TRANSPORT or _TIMED_OUT: the request is
    made in short steps, the reported errors read after each, until the timeout.
    """
    reported: list[Any] = []
    try:
        client = (factory or login_client)(dict(settings, error_cb=reported.append, logger=quiet_logger()))
    except Exception as exc:
        return Verdict(name, "failed", f"login client configuration refused: {kafka_error(exc)}")
    deadline = time.monotonic() + timeout
    last, seen = "no answer before the timeout", {}
    while True:
        try:
            client.list_topics(timeout=max(0.05, min(step, deadline - time.monotonic())))
            return Verdict(name, "current")
        except Exception as exc:
            last = kafka_error(exc)
            if exc.args and hasattr(exc.args[0], "name") and hasattr(exc.args[0], "str"):
                reported.append(exc.args[0])
        client.poll(0)
        for err in reported:
            kind = classify_login_error(err.name(), err.str())
            if kind == "rejected":
                return Verdict(name, "differs")
            if kind == "refused":
                return Verdict(name, "failed", f"{err.name()}: {err.str()}")
            seen[f"{err.name()}: {err.str()}"] = None
        reported.clear()
        if time.monotonic() >= deadline:
            others = [m for m in seen if m != last][-3:]
            return Verdict(name, "failed", "; ".join([last, *others]))


def stale_users(
    specs: list[dict[str, Any]],
    existing: Credentials,
    base: dict[str, str],
    timeout: float,
    fail: Callable[..., Any],
) -> set[str]:
    """The users whose declared password a login refuses (update_password=verify), checked at once."""
    names = to_verify(specs, existing, "verify")
    if not names:
        return set()
    by_name = {spec["name"]: spec for spec in specs}

    def check(name: str) -> Verdict:
        spec = by_name[name]
        return check_login(login_settings(base, name, spec["mechanism"], spec["password"]), name, timeout)

    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        verdicts = list(pool.map(check, names))
    failed = [v for v in verdicts if v.outcome == "failed"]
    if failed:
        fail(
            msg="; ".join(
                f"checking the password of user {v.name!r} by logging in failed: {v.message}" for v in failed
            )
            + " (set update_password to on_create or always to skip this check)"
        )
    return {v.name for v in verdicts if v.outcome == "differs"}


def scrubbing_fail(module: AnsibleModule, secrets: list[str]) -> Callable[..., Any]:
    """module.fail_json with every secret masked: Kafka's messages can echo what they were sent."""

    def fail(**kwargs: Any) -> None:
        module.fail_json(**scrub_all(kwargs, secrets))

    return fail


def admin_login_hint(client: Any, reported: list[Any], fail: Callable[..., Any]) -> Callable[..., Any]:
    """`fail` naming a refused login of the admin client itself: its requests only time out."""

    def explained(**kwargs: Any) -> None:
        client.poll(0)  # serves error_cb
        refused = [
            f"{e.name()}: {e.str()}" for e in reported if classify_login_error(e.name(), e.str()) != "retry"
        ]
        if refused:
            kwargs["msg"] = f"{kwargs['msg']} (the admin client's own SASL login failed: {refused[-1]})"
        fail(**kwargs)

    return explained


def connect(module: AnsibleModule, settings: dict[str, str], fail: Callable[..., Any]) -> ScramBackend:
    try:
        import confluent_kafka  # noqa: F401 (only needed on this path)
    except ImportError:
        module.fail_json(msg=missing_required_lib("confluent-kafka"), exception=traceback.format_exc())
    reported: list[Any] = []
    configuration = dict(settings, error_cb=reported.append, logger=quiet_logger())
    backend = cast(ScramBackend, ScramBackend.connect(configuration, fail, float(module.params["timeout"])))
    backend.fail = admin_login_hint(backend.client, reported, fail)
    return backend


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "users": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "name": {"type": "str", "required": True},
                    "password": {"type": "str", "no_log": True},
                    "mechanism": {
                        "type": "str",
                        "choices": ["SCRAM-SHA-256", "SCRAM-SHA-512"],
                        "default": "SCRAM-SHA-512",
                    },
                    "iterations": {"type": "int", "default": 8192},
                    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
                },
            },
            "bootstrap_server": {"type": "str", "required": True},
            "command_config": {"type": "path"},
            "client_config": {"type": "dict", "default": {}},
            "timeout": {"type": "int", "default": 30},
            "update_password": {
                "type": "str",
                "choices": list(UPDATE_PASSWORD),
                "default": "verify",
                "no_log": False,  # a policy, not a password
            },
            "login_bootstrap_server": {"type": "str"},
            "login_config": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    params = module.params
    specs, update_password = params["users"], params["update_password"]
    for config in (params["client_config"], params["login_config"]):  # before anything can fail
        hide_secrets(module.no_log_values, config)
    properties = command_properties(module)  # read once: the admin's and the logins' settings start from it
    settings = module_settings(module, properties)
    login_base = client_settings(
        params["login_bootstrap_server"] or params["bootstrap_server"],
        properties,
        {**params["client_config"], **params["login_config"]},
    )
    secrets = secret_values(specs, settings, login_base)
    fail = scrubbing_fail(module, secrets)

    errors = validate(specs)
    problem = login_protocol_error(login_base) if verifies(specs, update_password) else None
    if problem:
        errors.append(problem)
    if errors:
        fail(msg="refusing to change any user: " + "; ".join(errors), errors=errors)

    backend = connect(module, settings, fail)
    names = [spec["name"] for spec in specs]
    existing = backend.credentials(names)
    stale = set()
    if update_password == "verify":
        stale = stale_users(specs, existing, login_base, float(params["timeout"]), fail)
    changes, warnings = plan(specs, existing, update_password, stale)
    final = after(existing, changes)
    if changes and not module.check_mode:
        backend.alter(changes)
        final = backend.settle_credentials(changes, names)
        if not applied(changes, final):
            warnings.append(f"the changes did not all show within {params['timeout']} seconds")
    result: dict[str, Any] = {"changed": bool(changes), **summary(changes), "users": mechanisms(final, names)}
    if module._diff:
        result["diff"] = diff(existing, changes)
    for warning in warnings:
        module.warn(scrub(warning, secrets))
    module.exit_json(**scrub_all(result, secrets))


if __name__ == "__main__":
    main()
