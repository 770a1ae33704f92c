"""kafka_acl: validation, expansion and planning, the admin backend against a fake AdminClient, and the
module's flow through AnsibleModule (check mode, diff, idempotence, broker errors, secrets)."""

from __future__ import annotations

import json
from concurrent.futures import Future
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[2] / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.module_utils import (  # noqa: E402
    kafka_acls as ka,
)
from ansible_collections.kafka_aws.kafka.plugins.modules import (  # noqa: E402
    kafka_acl as module,
)

admin = pytest.importorskip("confluent_kafka.admin")
from confluent_kafka import KafkaError, KafkaException  # noqa: E402

from tests.unit.admin_fakes import Failed, done, fail  # noqa: E402

SECRET = "s3cr3t-sasl-pa55"


def entry(**kwargs) -> dict:
    spec = {"principal": "User:alice", "resource_type": "topic", "resource_name": "orders"}
    spec.update(kwargs)
    spec.setdefault("operations", ["read"])
    return spec


def binding(op="read", principal="User:alice", kind="topic", name="orders", pattern="literal", **kw):
    return ka.Binding(principal, kind, name, pattern, op, kw.get("permission", "allow"), kw.get("host", "*"))


# --- validation ---------------------------------------------------------------------------------------


def test_sound_entries_pass_and_the_cluster_is_kafka_cluster():
    entries = [
        entry(operations=["read", "describe"]),
        entry(resource_type="group", resource_name="orders-", pattern_type="prefixed", operations=["read"]),
        {"principal": "User:alice", "resource_type": "cluster", "operations": ["idempotent_write"]},
        entry(resource_type="transactional_id", resource_name="*", operations=["write", "describe"]),
        entry(principal="Group:ops", operations=["all"], permission="deny", host="10.0.0.7"),
        entry(principal="User:*", resource_name="*", operations=["describe"]),
    ]
    assert ka.validate(entries) == []
    assert ka.expand(entries[2])[0].resource_name == "kafka-cluster"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            entry(principal="alice"),
            "acls[0] (alice on topic orders): principal 'alice' must be User:<name> or Group:<name>",
        ),
        (entry(principal="User:"), "acls[0] (User: on topic orders): principal 'User:' must be"),
        (entry(principal="user:alice"), "principal 'user:alice' must be User:<name> or Group:<name>"),
        (
            entry(resource_type="group", operations=["read", "write"]),
            "acls[0] (User:alice on group orders): write is not an operation on a group "
            "(declare it on resource_type topic or transactional_id): a group takes all, ",
        ),
        (
            entry(operations=["idempotent_write"]),
            "idempotent_write is not an operation on a topic (declare it on resource_type cluster)",
        ),
        (
            entry(resource_type="group", operations=["cluster_action"]),
            "cluster_action is not an operation on a group (declare it on resource_type cluster)",
        ),
        (
            entry(resource_type="transactional_id", operations=["read"]),
            "read is not an operation on a transactional_id (declare it on resource_type group or topic)",
        ),
        (
            entry(resource_name="*", pattern_type="prefixed"),
            "acls[0] (User:alice on topic *): * with pattern_type prefixed matches nothing: "
            "set pattern_type literal",
        ),
        (
            entry(resource_type="cluster", resource_name="prod", operations=["alter"]),
            "acls[0] (User:alice on cluster prod): the cluster resource is kafka-cluster: drop resource_name",
        ),
        (
            entry(resource_type="cluster", resource_name=None, pattern_type="prefixed", operations=["alter"]),
            "cluster ACLs are literal: drop pattern_type or set it to literal",
        ),
        (entry(resource_name=None), "acls[0] (User:alice on topic): resource_name is required"),
        (entry(operations=[]), "operations is empty: list at least one operation"),
        (entry(operations=["reed"]), "unknown operation(s) reed: use all, read"),
        (entry(host=""), "host is empty: set an IP address, or * for every host"),
    ],
)
def test_refusals_name_the_entry_and_the_fix(spec, message):
    errors = ka.validate([spec])
    assert any(message in e for e in errors), errors


def test_every_bad_entry_is_reported_by_its_index():
    errors = ka.validate([entry(), entry(principal="bob"), entry(operations=["idempotent_write"])])
    assert [e.split(":", 1)[0] for e in errors] == ["acls[1] (bob on topic orders)", "acls[2] (User"]
    assert errors[1].startswith("acls[2] (User:alice on topic orders): idempotent_write")


def test_a_binding_declared_present_and_absent_is_refused():
    entries = [entry(operations=["read", "write"]), entry(operations=["write"], state="absent")]
    assert ka.validate(entries) == [
        "acls[0] (User:alice on topic orders) and acls[1] (User:alice on topic orders) declare "
        "User:alice ALLOW WRITE on TOPIC orders (LITERAL) from * both present and absent: keep one of the two"
    ]
    assert ka.validate([entry(), entry()]) == []  # the same binding twice, the same state: fine


# --- expansion, lines, planning ---------------------------------------------------------------------


def test_an_entry_expands_to_one_binding_per_operation():
    bindings = ka.expand(entry(operations=["read", "describe", "read"], permission="deny", host="10.0.0.7"))
    assert bindings == [
        binding("read", permission="deny", host="10.0.0.7"),
        binding("describe", permission="deny", host="10.0.0.7"),
    ]


def test_the_line_format():
    assert binding().line() == "User:alice ALLOW READ on TOPIC orders (LITERAL) from *"
    cluster = ka.expand(
        {"principal": "User:svc", "resource_type": "cluster", "operations": ["cluster_action"]}
    )
    assert [b.line() for b in cluster] == [
        "User:svc ALLOW CLUSTER_ACTION on CLUSTER kafka-cluster (LITERAL) from *"
    ]
    assert ka.lines([binding("write"), binding("describe")]) == [
        "User:alice ALLOW DESCRIBE on TOPIC orders (LITERAL) from *",
        "User:alice ALLOW WRITE on TOPIC orders (LITERAL) from *",
    ]


def test_plan_creates_the_missing_deletes_the_absent_and_leaves_the_rest():
    undeclared = binding("all", principal="User:admin", name="*")
    current = {binding("read"), binding("write", name="legacy"), undeclared}
    entries = [
        entry(operations=["read", "describe"]),
        entry(resource_name="legacy", operations=["write"], state="absent"),
        entry(resource_name="gone", operations=["write"], state="absent"),  # not there: nothing
    ]
    change = ka.plan(entries, current)
    assert change.create == [binding("describe")]
    assert change.delete == [binding("write", name="legacy")]
    after = ka.applied(current, change)
    assert undeclared in after and ka.shows(change, after) and not ka.shows(change, current)
    assert not ka.plan(entries, after)  # idempotent: nothing left to do
    assert not ka.plan([entry()], {binding("read")})


def test_the_hints_for_known_broker_errors():
    assert "turn kafka_authorizer on" in ka.explain("describing the ACLs failed: SECURITY_DISABLED: No")
    assert "needs DESCRIBE on the cluster" in ka.explain("x failed: CLUSTER_AUTHORIZATION_FAILED: Denied")
    assert ka.explain("x failed: _TRANSPORT: down") == "x failed: _TRANSPORT: down"


# --- the backend against a fake AdminClient ----------------------------------------------------------


def acl(op="READ", principal="User:alice", kind="TOPIC", name="orders", pattern="LITERAL", allow="ALLOW"):
    return admin.AclBinding(kind, name, pattern, principal, "*", op, allow)


def kafka_exception(code, text=""):
    return KafkaException(KafkaError(code, text))


class FakeAdmin:
    """What the backend calls of confluent_kafka's AdminClient: a set of bindings, canned errors."""

    def __init__(self, acls=(), errors=None, lag=0):
        self.acls = set(acls)
        self.errors = errors or {}  # call name -> exception for its futures
        self.lag = lag  # describes after a write that still answer the state before it
        self.stale: set | None = None
        self.calls: list[tuple] = []
        self.settings: dict | None = None

    def describe_acls(self, acl_filter, request_timeout):
        self.calls.append(("describe_acls", acl_filter))
        if self.stale is not None and self.lag:
            self.lag -= 1
            return done(list(self.stale))
        return done(list(self.acls), self.errors.get("describe_acls"))

    def create_acls(self, acls, request_timeout):
        self.calls.append(("create_acls", sorted(map(repr, acls))))
        self.stale = set(self.acls)
        if "create_acls" not in self.errors:
            self.acls.update(acls)
        return {a: done(None, self.errors.get("create_acls")) for a in acls}

    def delete_acls(self, filters, request_timeout):
        self.calls.append(("delete_acls", sorted(map(repr, filters))))
        self.stale = set(self.acls)
        futures = {}
        for f in filters:
            matched = [a for a in self.acls if a == f]  # exact filters only
            if "delete_acls" not in self.errors:
                self.acls.difference_update(matched)
            futures[f] = done(matched, self.errors.get("delete_acls"))
        return futures

    def writes(self):
        return [call for call in self.calls if call[0] != "describe_acls"]


def backend(fake, timeout=5.0):
    return module.AclBackend(fake, fail, timeout, admin)


def test_describe_is_one_request_matching_everything():
    fake = FakeAdmin(
        [acl(), acl("IDEMPOTENT_WRITE", kind="BROKER", name="kafka-cluster"), acl(pattern="PREFIXED")]
    )
    assert ka.lines(backend(fake).describe()) == [
        "User:alice ALLOW IDEMPOTENT_WRITE on CLUSTER kafka-cluster (LITERAL) from *",
        "User:alice ALLOW READ on TOPIC orders (LITERAL) from *",
        "User:alice ALLOW READ on TOPIC orders (PREFIXED) from *",
    ]
    [(call, everything)] = fake.calls
    assert call == "describe_acls"
    assert (everything.restype, everything.resource_pattern_type) == (
        admin.ResourceType.ANY,
        admin.ResourcePatternType.ANY,
    )
    assert (everything.operation, everything.permission_type) == (
        admin.AclOperation.ANY,
        admin.AclPermissionType.ANY,
    )
    assert (everything.name, everything.principal, everything.host) == (None, None, None)


def test_apply_creates_in_one_request_and_deletes_with_exact_filters():
    fake = FakeAdmin([acl("WRITE"), acl("WRITE", principal="User:bob")])
    change = ka.Plan(
        create=[binding("idempotent_write", kind="cluster", name="kafka-cluster")],
        delete=[binding("write")],
    )
    backend(fake).apply(change)
    assert fake.writes() == [
        (
            "create_acls",
            [repr(acl("IDEMPOTENT_WRITE", kind="BROKER", name="kafka-cluster"))],  # Kafka's CLUSTER
        ),
        (
            "delete_acls",
            [
                "AclBindingFilter(ResourceType.TOPIC,orders,ResourcePatternType.LITERAL,User:alice,*,"
                "AclOperation.WRITE,AclPermissionType.ALLOW)"
            ],
        ),
    ]
    assert fake.acls == {
        acl("WRITE", principal="User:bob"),
        acl("IDEMPOTENT_WRITE", kind="BROKER", name="kafka-cluster"),
    }


@pytest.mark.parametrize(
    ("call", "code", "text", "expect"),
    [
        (
            "describe_acls",
            KafkaError.SECURITY_DISABLED,
            "No Authorizer is configured.",
            "describing the ACLs failed: SECURITY_DISABLED: No Authorizer is configured. - the cluster has "
            "no authorizer configured: turn kafka_authorizer on",
        ),
        (
            "create_acls",
            KafkaError.CLUSTER_AUTHORIZATION_FAILED,
            "Cluster authorization failed.",
            "creating the ACL User:alice ALLOW READ on TOPIC orders (LITERAL) from * failed: "
            "CLUSTER_AUTHORIZATION_FAILED: Cluster authorization failed. - the client's principal",
        ),
        (
            "delete_acls",
            KafkaError.INVALID_REQUEST,
            "bad",
            "deleting the ACL User:alice ALLOW WRITE on TOPIC orders (LITERAL) from * failed: "
            "INVALID_REQUEST: bad",
        ),
    ],
)
def test_broker_errors_fail_with_what_was_done_and_the_brokers_words(call, code, text, expect):
    fake = FakeAdmin([acl("WRITE")], errors={call: kafka_exception(code, text)})
    kafka = backend(fake)
    with pytest.raises(Failed) as failure:
        kafka.describe()
        kafka.apply(ka.Plan(create=[binding("read")]))
        kafka.apply(ka.Plan(delete=[binding("write")]))
    assert str(failure.value).startswith(expect)


def test_no_answer_is_a_clear_failure():
    class Silent(FakeAdmin):
        def describe_acls(self, acl_filter, request_timeout):
            return Future()  # never answered

    with pytest.raises(Failed, match=r"^describing the ACLs failed: no answer before the timeout$"):
        backend(Silent(), timeout=0.05).describe()


def test_settle_describes_again_until_the_change_shows():
    fake = FakeAdmin(lag=2)
    kafka = backend(fake)
    change = ka.Plan(create=[binding("read")])
    kafka.apply(change)
    current, settled = kafka.settle(change, pause=0)
    assert settled and binding("read") in current
    assert [c[0] for c in fake.calls].count("describe_acls") == 3

    stuck = FakeAdmin(lag=10**6)
    kafka = backend(stuck, timeout=0.2)
    kafka.apply(change)
    current, settled = kafka.settle(change, pause=0.01)
    assert not settled and current == set()


# --- the module, through AnsibleModule -------------------------------------------------------------


def run(monkeypatch, capsys, fake, **args) -> dict:
    def client(settings):
        fake.settings = settings
        return fake

    monkeypatch.setattr(admin, "AdminClient", client)
    monkeypatch.setattr(module.time, "sleep", lambda seconds: None)
    params = {"bootstrap_server": "b1:9092,b2:9092", **args}
    with patch_module_args(params), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


DECLARED = [
    {
        "principal": "User:alice",
        "resource_type": "topic",
        "resource_name": "orders",
        "operations": ["read", "describe"],
    },
    {"principal": "User:alice", "resource_type": "cluster", "operations": ["idempotent_write"]},
    {
        "principal": "User:alice",
        "resource_type": "topic",
        "resource_name": "legacy",
        "operations": ["write"],
        "state": "absent",
    },
]


def cluster():
    return FakeAdmin([acl("READ"), acl("WRITE", name="legacy"), acl("ALL", principal="User:admin", name="*")])


def test_the_module_applies_the_plan_and_a_second_run_changes_nothing(monkeypatch, capsys):
    fake = cluster()
    result = run(monkeypatch, capsys, fake, acls=DECLARED)
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["created"] == [
        "User:alice ALLOW DESCRIBE on TOPIC orders (LITERAL) from *",
        "User:alice ALLOW IDEMPOTENT_WRITE on CLUSTER kafka-cluster (LITERAL) from *",
    ]
    assert result["deleted"] == ["User:alice ALLOW WRITE on TOPIC legacy (LITERAL) from *"]
    assert [(a["operation"], a["resource_type"], a["resource_name"]) for a in result["acls"]] == [
        ("describe", "topic", "orders"),
        ("idempotent_write", "cluster", "kafka-cluster"),
        ("read", "topic", "orders"),
    ]  # User:admin's binding is neither returned nor touched
    assert acl("ALL", principal="User:admin", name="*") in fake.acls
    assert [c[0] for c in fake.calls] == ["describe_acls", "create_acls", "delete_acls", "describe_acls"]
    assert fake.settings == {"bootstrap.servers": "b1:9092,b2:9092"}

    fake.calls.clear()
    again = run(monkeypatch, capsys, fake, acls=DECLARED)
    assert again["changed"] is False and again["created"] == again["deleted"] == []
    assert again["acls"] == result["acls"]
    assert [c[0] for c in fake.calls] == ["describe_acls"]


def test_check_mode_plans_without_a_write_and_diff_shows_the_lines(monkeypatch, capsys):
    fake = cluster()
    before = set(fake.acls)
    result = run(monkeypatch, capsys, fake, acls=DECLARED, _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True and len(result["created"]) == 2 and len(result["deleted"]) == 1
    assert fake.writes() == [] and fake.acls == before
    assert [c[0] for c in fake.calls] == ["describe_acls"]
    assert result["diff"] == {
        "before": "User:alice ALLOW READ on TOPIC orders (LITERAL) from *\n"
        "User:alice ALLOW WRITE on TOPIC legacy (LITERAL) from *\n",
        "after": "User:alice ALLOW DESCRIBE on TOPIC orders (LITERAL) from *\n"
        "User:alice ALLOW IDEMPOTENT_WRITE on CLUSTER kafka-cluster (LITERAL) from *\n"
        "User:alice ALLOW READ on TOPIC orders (LITERAL) from *\n",
    }


def test_a_refused_entry_fails_before_any_client_or_request(monkeypatch, capsys):
    fake = cluster()
    bad = [
        *DECLARED,
        {"principal": "bob", "resource_type": "group", "resource_name": "g", "operations": ["write"]},
    ]
    result = run(monkeypatch, capsys, fake, acls=bad)
    assert result["failed"] is True and result["msg"].startswith(
        "refusing to change any ACL: acls[3] (bob on group g)"
    )
    assert len(result["errors"]) == 2
    assert fake.settings is None and fake.calls == []


def test_no_authorizer_fails_saying_kafka_authorizer_must_be_on(monkeypatch, capsys):
    off = kafka_exception(KafkaError.SECURITY_DISABLED, "No Authorizer is configured.")
    fake = FakeAdmin(errors={"describe_acls": off})
    result = run(monkeypatch, capsys, fake, acls=DECLARED)
    assert result["failed"] is True
    assert result["msg"].startswith(
        "describing the ACLs failed: SECURITY_DISABLED: No Authorizer is configured."
    )
    assert "turn kafka_authorizer on" in result["msg"] and fake.writes() == []


def test_the_sasl_password_never_shows(monkeypatch, capsys, tmp_path):
    properties = tmp_path / "admin.properties"
    properties.write_text("security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n")
    secrets = {"sasl.username": "admin", "sasl.password": SECRET}
    args = {"acls": DECLARED, "command_config": str(properties), "client_config": secrets}

    fake = cluster()
    result = run(monkeypatch, capsys, fake, _ansible_diff=True, **args)
    assert result["changed"] is True and SECRET not in json.dumps(result)
    assert fake.settings == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "admin",
        "sasl.password": SECRET,  # reaches the client, and only the client
        "bootstrap.servers": "b1:9092,b2:9092",
    }

    # A failure whose text carries the password (as a careless client error might) is masked too.
    leaky = kafka_exception(KafkaError._AUTHENTICATION, f"SASL authentication failed for password {SECRET}")
    result = run(monkeypatch, capsys, FakeAdmin(errors={"describe_acls": leaky}), **args)
    assert result["failed"] is True and "describing the ACLs failed: _AUTHENTICATION" in result["msg"]
    assert SECRET not in json.dumps(result)


def test_a_password_from_the_command_config_file_is_masked_too(monkeypatch, capsys, tmp_path):
    properties = tmp_path / "admin.properties"
    properties.write_text(
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="admin" password="{SECRET}";\n'
    )
    leaky = kafka_exception(KafkaError._AUTHENTICATION, f"SASL authentication failed for password {SECRET}")
    fake = FakeAdmin(errors={"describe_acls": leaky})
    result = run(monkeypatch, capsys, fake, acls=DECLARED, command_config=str(properties))
    assert fake.settings["sasl.password"] == SECRET  # the JAAS login, as librdkafka names it
    assert result["failed"] is True and SECRET not in json.dumps(result)
