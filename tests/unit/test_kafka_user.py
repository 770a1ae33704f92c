"""kafka_user: validation, planning, the login check of update_password=verify, and the module's flow
against a fake AdminClient (futures as confluent-kafka returns them; login errors as librdkafka reports
them: _AUTHENTICATION through error_cb, served by poll(), while the metadata request fails _TRANSPORT)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader([str(Path(__file__).resolve().parents[2] / "collections")])

from ansible_collections.kafka_aws.kafka.plugins.module_utils import (  # noqa: E402
    kafka_users as ku,
)
from ansible_collections.kafka_aws.kafka.plugins.modules import (  # noqa: E402
    kafka_user as module,
)

admin = pytest.importorskip("confluent_kafka.admin")
from confluent_kafka import KafkaError, KafkaException  # noqa: E402

from tests.unit.admin_fakes import done  # noqa: E402

RealAdminClient = admin.AdminClient
ADMIN_PASSWORD = "adm1n-Pa55word"
FILE_PASSWORD = "f1le-Pa55word"
# librdkafka's words for a refused SCRAM login (Kafka 4.4 broker, librdkafka 2.16).
REFUSED = (
    "sasl_plaintext://127.0.0.1:9094/bootstrap: SASL authentication error: Authentication failed during "
    "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after 312ms in state "
    "AUTH_REQ)"
)
HANDSHAKE = (
    "sasl_plaintext://127.0.0.1:9092/bootstrap: SASL SCRAM-SHA-512 mechanism handshake failed: Broker: "
    "Request not valid in current SASL state: broker's supported mechanisms:  (after 1ms in state "
    "AUTH_HANDSHAKE)"
)
NO_METADATA = KafkaError(KafkaError._TRANSPORT, "Failed to get metadata: Local: Broker transport failure")


def mechanism(name: str):
    return admin.ScramMechanism[name.replace("-", "_")]


class Cluster:
    """A fake cluster: the AdminClient the module administers with, and the logins it checks."""

    def __init__(self, users=None, refuse=None, login_error=None, lag=0, admin_error=None):
        self.admin_error = admin_error  # KafkaError the admin client's own login reports
        self.admin_pending = True  # the next client made is an admin client
        # name -> mechanism -> (iterations, password)
        self.users = {n: dict(m) for n, m in (users or {}).items()}
        self.refuse = refuse or {}  # user -> KafkaError for its alteration
        self.login_error = login_error  # KafkaError every login reports through error_cb
        self.lag = lag  # describes that still show the state before the last alteration
        self.calls: list[tuple] = []
        self.settings: list[dict] = []  # every client's configuration
        self.logins: list[tuple[str, str]] = []
        self.shown = self.snapshot()

    def snapshot(self):
        return {n: {m: it for m, (it, _) in mechs.items()} for n, mechs in self.users.items()}

    def client(self, settings):
        """A run's first client is the module's admin client, the others log in as users."""
        self.settings.append(dict(settings))
        if not self.admin_pending:
            return Login(self, settings)
        self.admin_pending = False
        self.error_cb = settings["error_cb"]
        return self

    # AdminClient
    def poll(self, timeout):
        if self.admin_error is not None:
            self.error_cb(self.admin_error)

    def describe_user_scram_credentials(self, users, request_timeout):
        RealAdminClient._check_describe_user_scram_credentials_request(users)
        self.calls.append(("describe", list(users)))
        if self.admin_error is not None:  # what librdkafka answers when its own login is refused
            timed_out = KafkaException(
                KafkaError(KafkaError._TIMED_OUT, "Failed while waiting for controller")
            )
            return {user: done(error=timed_out) for user in users}
        if self.lag:
            self.lag -= 1
        else:
            self.shown = self.snapshot()
        not_found = KafkaException(KafkaError(KafkaError.RESOURCE_NOT_FOUND, "no credentials"))
        return {
            user: done(
                admin.UserScramCredentialsDescription(
                    user,
                    [
                        admin.ScramCredentialInfo(mechanism(m), it)
                        for m, it in sorted(self.shown[user].items())
                    ],
                )
            )
            if self.shown.get(user)
            else done(error=not_found)
            for user in users
        }

    def alter_user_scram_credentials(self, alterations, request_timeout):
        RealAdminClient._check_alter_user_scram_credentials_request(alterations)
        request = []
        for alt in alterations:
            if isinstance(alt, admin.UserScramCredentialDeletion):
                request.append((alt.user, "delete", alt.mechanism.name))
                if alt.user not in self.refuse:
                    self.users[alt.user].pop(alt.mechanism.name.replace("_", "-"))
            else:
                info = alt.scram_credential_info
                request.append((alt.user, "upsert", info.mechanism.name, info.iterations))
                if alt.user not in self.refuse:
                    mech = info.mechanism.name.replace("_", "-")
                    self.users.setdefault(alt.user, {})[mech] = (info.iterations, alt.password.decode())
        self.calls.append(("alter", request))
        return {
            alt.user: done(error=KafkaException(self.refuse[alt.user]) if alt.user in self.refuse else None)
            for alt in alterations
        }

    def alters(self):
        return [call for call in self.calls if call[0] == "alter"]


class Login:
    """A login client: authenticates with its settings when its metadata is requested."""

    def __init__(self, cluster: Cluster, settings: dict):
        self.cluster, self.settings, self.queued = cluster, settings, []

    def list_topics(self, timeout):
        name, mech = self.settings["sasl.username"], self.settings["sasl.mechanism"]
        self.cluster.logins.append((name, mech))
        if self.cluster.login_error is not None:
            self.queued.append(self.cluster.login_error)
            raise KafkaException(NO_METADATA)
        current = self.cluster.users.get(name, {}).get(mech)
        if current is None or current[1] != self.settings["sasl.password"]:
            self.queued.append(KafkaError(KafkaError._AUTHENTICATION, REFUSED))
            raise KafkaException(NO_METADATA)
        return object()

    def poll(self, timeout):
        while self.queued:
            self.settings["error_cb"](self.queued.pop(0))


def alice(**kwargs):
    return {"name": "alice", "password": "alice-Pa55", **kwargs}


# Settings from a properties file and from client_config: only the secret ones are masked in the output.
PROPERTIES = "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n"
ADMIN = {"sasl.username": "operator", "sasl.password": ADMIN_PASSWORD}


@pytest.fixture
def run(monkeypatch, capsys, tmp_path):
    """Run the module against a cluster; no password may appear in its output."""
    properties = tmp_path / "client.properties"
    properties.write_text(PROPERTIES)

    def runner(cluster: Cluster, users, **args) -> dict:
        warned: list[str] = []  # module.warn goes to the controller's display when under pytest
        monkeypatch.setattr(module.AnsibleModule, "warn", lambda _module, text, **kw: warned.append(text))
        monkeypatch.setattr(admin, "AdminClient", cluster.client)
        cluster.admin_pending = True
        monkeypatch.setattr(module.time, "sleep", lambda seconds: None)
        params = {
            "bootstrap_server": "b1:9094",
            "command_config": str(properties),
            "client_config": ADMIN,
            "users": users,
            "timeout": 2,
            **args,
        }
        with patch_module_args(params), pytest.raises(SystemExit):
            module.main()
        out = capsys.readouterr().out
        for secret in (ADMIN_PASSWORD, FILE_PASSWORD, "alice-Pa55", "b0b-Pa55", "new-Pa55"):
            assert secret not in out and not any(secret in text for text in warned)
        return dict(json.loads(out), warned=warned)

    return runner


# Validation and planning (pure)


def spec(name="alice", password="pw", mechanism="SCRAM-SHA-512", iterations=8192, state="present"):
    return {
        "name": name,
        "password": password,
        "mechanism": mechanism,
        "iterations": iterations,
        "state": state,
    }


def test_validation_refuses_every_problem_at_once():
    specs = [
        spec(name=""),
        spec(name="alice", password=None),
        spec(name="bob", iterations=4095),
        spec(name="carol", iterations=16385),
        spec(name="dave", password=None, iterations=1, state="absent"),  # absent: neither is needed
        spec(name="bob"),
    ]
    assert ku.validate(specs) == [
        "a user needs a non-empty name",
        "user 'alice': a password is required when state is present",
        "user 'bob': iterations 4095 is outside Kafka's 4096..16384",
        "user 'carol': iterations 16385 is outside Kafka's 4096..16384",
        "user 'bob' is declared more than once (one credential per user and task)",
    ]
    assert ku.validate([spec(iterations=4096), spec(name="b", iterations=16384)]) == []


def test_plan_create_update_delete_and_no_op():
    existing = {
        "same": {"SCRAM-SHA-512": 8192},
        "slow": {"SCRAM-SHA-512": 4096},
        "gone": {"SCRAM-SHA-256": 4096, "SCRAM-SHA-512": 8192},
        "other": {"SCRAM-SHA-256": 4096},
    }
    specs = [
        spec("new"),
        spec("same"),
        spec("slow"),
        spec("gone", mechanism="SCRAM-SHA-256", state="absent"),
        spec("other", state="absent"),  # no SCRAM-SHA-512 credential: nothing to delete
        spec("never", state="absent"),
    ]
    changes, warnings = ku.plan(specs, existing, "verify", stale=set())
    assert [(c.name, c.action, c.mechanism, c.iterations, c.password_changed) for c in changes] == [
        ("new", "create", "SCRAM-SHA-512", 8192, False),
        ("slow", "update", "SCRAM-SHA-512", 8192, False),
        ("gone", "delete", "SCRAM-SHA-256", 4096, False),
    ]
    assert warnings == []
    assert "pw" not in repr(changes)
    assert ku.summary(changes) == {"created": ["new"], "updated": ["slow"], "deleted": ["gone"]}
    assert ku.mechanisms(ku.after(existing, changes), ["gone", "new", "never"]) == {
        "gone": ["SCRAM-SHA-512"],  # only the declared mechanism's credential goes
        "new": ["SCRAM-SHA-512"],
        "never": [],
    }
    again, _ = ku.plan(specs, ku.after(existing, changes), "verify", stale=set())
    assert again == []


def test_update_password_policies():
    existing = {"alice": {"SCRAM-SHA-512": 8192}, "bob": {"SCRAM-SHA-512": 4096}}
    specs = [spec("alice"), spec("bob")]
    stale = {"alice"}
    changes, _ = ku.plan(specs, existing, "verify", stale)
    assert [(c.name, c.password_changed) for c in changes] == [("alice", True), ("bob", False)]
    changes, _ = ku.plan(specs, existing, "always", set())
    assert [(c.name, c.password_changed) for c in changes] == [("alice", True), ("bob", True)]
    changes, warnings = ku.plan(specs, existing, "on_create", stale)
    assert changes == []
    assert warnings == [
        "user 'bob': the SCRAM-SHA-512 credential has iterations 4096, declared 8192; left alone "
        "(update_password=on_create, and changing iterations re-sets the password)"
    ]
    assert ku.to_verify([*specs, spec("new")], existing, "verify") == ["alice", "bob"]
    assert ku.to_verify(specs, existing, "on_create") == []


def test_diff_lines_show_a_password_change_never_the_password():
    existing = {"alice": {"SCRAM-SHA-256": 4096, "SCRAM-SHA-512": 8192}}
    changes = [
        ku.Change("alice", "update", "SCRAM-SHA-512", 8192, "secret-1", password_changed=True),
        ku.Change("bob", "create", "SCRAM-SHA-256", 4096, "secret-2"),
    ]
    result = ku.diff(existing, changes)
    assert result["before"] == (
        "alice (SCRAM-SHA-256, iterations 4096)\nalice (SCRAM-SHA-512, iterations 8192)\n"
    )
    assert result["after"] == (
        "alice (SCRAM-SHA-256, iterations 4096)\nalice (SCRAM-SHA-512, iterations 8192)\n"
        "bob (SCRAM-SHA-256, iterations 4096)\nalice: password changed\n"
    )
    assert "secret" not in json.dumps(result)


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("_AUTHENTICATION", REFUSED, "rejected"),
        ("SASL_AUTHENTICATION_FAILED", "Authentication failed", "rejected"),
        ("_AUTHENTICATION", HANDSHAKE, "refused"),
        (
            "_AUTHENTICATION",
            "SASL authentication error: SaslAuthenticateRequest failed: Local: Broker handle destroyed",
            "retry",
        ),
        ("_TRANSPORT", "Connect to ipv4#127.0.0.1:1 failed: Connection refused", "retry"),
        ("_SSL", "SSL handshake failed", "retry"),
    ],
)
def test_classify_login_errors(name, text, kind):
    assert ku.classify_login_error(name, text) == kind


def test_login_settings_and_protocol():
    base = {"bootstrap.servers": "b:9094", "security.protocol": "sasl_ssl", "sasl.mechanisms": "PLAIN"}
    base |= {"sasl.username": "admin", "sasl.password": ADMIN_PASSWORD}
    assert ku.login_settings(base, "alice", "SCRAM-SHA-256", "pw") == {
        "bootstrap.servers": "b:9094",
        "security.protocol": "sasl_ssl",
        "sasl.mechanism": "SCRAM-SHA-256",
        "sasl.username": "alice",
        "sasl.password": "pw",
    }
    assert ku.login_protocol_error(base) is None
    assert "login_bootstrap_server/login_config" in ku.login_protocol_error({"security.protocol": "SSL"})
    assert ku.login_protocol_error({}) is not None  # librdkafka's default: plaintext


def test_scrub_masks_passwords_and_secret_settings_through_structures():
    secrets = ku.secret_values(
        [spec(password="pw-1"), spec(password=None, state="absent")],
        {"sasl.password": ADMIN_PASSWORD, "ssl.key.password": "k3y", "security.protocol": "SASL_SSL"},
    )
    assert secrets == [ADMIN_PASSWORD, "pw-1", "k3y"]
    value = {"msg": f"bad {ADMIN_PASSWORD} and pw-1", "list": [("k3y",)], "n": 1, "b": True}
    assert ku.scrub_all(value, secrets) == {
        "msg": "bad ******** and ********",
        "list": [("********",)],
        "n": 1,
        "b": True,
    }


# The module against the fake cluster


def test_creates_then_a_second_run_verifies_by_logging_in_and_changes_nothing(run):
    cluster = Cluster({"operator": {"SCRAM-SHA-512": (4096, ADMIN_PASSWORD)}})
    users = [
        alice(),
        {"name": "bob", "password": "b0b-Pa55", "mechanism": "SCRAM-SHA-256", "iterations": 4096},
    ]
    result = run(cluster, users, _ansible_diff=True)
    assert result["changed"] is True, result
    assert (result["created"], result["updated"], result["deleted"]) == (["alice", "bob"], [], [])
    assert result["users"] == {"alice": ["SCRAM-SHA-512"], "bob": ["SCRAM-SHA-256"]}
    assert cluster.alters() == [
        ("alter", [("alice", "upsert", "SCRAM_SHA_512", 8192), ("bob", "upsert", "SCRAM_SHA_256", 4096)])
    ]  # one request for everything
    assert cluster.logins == []  # new credentials: nothing to verify
    assert result["diff"]["before"] == ""
    assert result["diff"]["after"] == (
        "alice (SCRAM-SHA-512, iterations 8192)\nbob (SCRAM-SHA-256, iterations 4096)\n"
    )
    assert cluster.settings[0]["sasl.password"] == ADMIN_PASSWORD  # the admin's own login

    again = run(cluster, users)
    assert again["changed"] is False and cluster.alters() == [cluster.alters()[0]]
    assert sorted(cluster.logins) == [("alice", "SCRAM-SHA-512"), ("bob", "SCRAM-SHA-256")]
    login = next(s for s in cluster.settings if s.get("sasl.username") == "bob")
    assert login["bootstrap.servers"] == "b1:9094" and login["security.protocol"] == "SASL_PLAINTEXT"
    assert (login["sasl.mechanism"], login["sasl.password"]) == ("SCRAM-SHA-256", "b0b-Pa55")


def test_a_refused_login_updates_the_password(run):
    cluster = Cluster({"alice": {"SCRAM-SHA-512": (8192, "old-Pa55")}})
    result = run(cluster, [alice(password="new-Pa55")], _ansible_diff=True)
    assert result["changed"] is True and result["updated"] == ["alice"] and result["created"] == []
    assert cluster.alters() == [("alter", [("alice", "upsert", "SCRAM_SHA_512", 8192)])]
    assert cluster.users["alice"]["SCRAM-SHA-512"] == (8192, "new-Pa55")
    assert result["diff"]["after"].endswith("alice: password changed\n")
    assert result["diff"]["before"] == "alice (SCRAM-SHA-512, iterations 8192)\n"


@pytest.mark.parametrize(
    "error",
    [
        KafkaError(KafkaError._AUTHENTICATION, HANDSHAKE),
        KafkaError(KafkaError._TRANSPORT, "Connect to ipv4#10.0.0.1:9094 failed: Connection refused"),
    ],
)
def test_any_other_login_error_fails_with_the_error_and_changes_nothing(run, error):
    cluster = Cluster({"alice": {"SCRAM-SHA-512": (8192, "old-Pa55")}}, login_error=error)
    result = run(cluster, [alice()], timeout=1)
    assert result["failed"] is True and cluster.alters() == []
    assert result["msg"].startswith("checking the password of user 'alice' by logging in failed: ")
    assert error.str() in result["msg"]


def test_a_transient_login_error_is_tried_again():
    cluster = Cluster({"alice": {"SCRAM-SHA-512": (8192, "pw")}})
    attempts = []

    class Flaky(Login):
        def list_topics(self, timeout):
            attempts.append(timeout)
            if len(attempts) < 3:
                self.queued.append(KafkaError(KafkaError._TRANSPORT, "Connection refused"))
                raise KafkaException(NO_METADATA)
            return super().list_topics(timeout)

    settings = ku.login_settings({"security.protocol": "SASL_PLAINTEXT"}, "alice", "SCRAM-SHA-512", "pw")
    verdict = module.check_login(settings, "alice", 5, factory=lambda conf: Flaky(cluster, conf), step=0.01)
    assert verdict.outcome == "current" and len(attempts) == 3


def test_on_create_and_always(run):
    cluster = Cluster({"alice": {"SCRAM-SHA-512": (4096, "old-Pa55")}})
    plaintext = {"security.protocol": "PLAINTEXT"}  # no login needed: no SASL listener needed either
    result = run(cluster, [alice()], update_password="on_create", client_config=plaintext)
    assert result["changed"] is False and cluster.alters() == [] and cluster.logins == [], result
    assert "left alone (update_password=on_create" in result["warned"][0]

    result = run(cluster, [alice(iterations=4096)], update_password="always")
    assert result["changed"] is True and result["updated"] == ["alice"] and cluster.logins == []
    assert cluster.users["alice"]["SCRAM-SHA-512"] == (4096, "alice-Pa55")
    again = run(cluster, [alice(iterations=4096)], update_password="always")
    assert again["changed"] is True and len(cluster.alters()) == 2


def test_absent_deletes_the_declared_mechanism_only_if_present(run):
    cluster = Cluster({"alice": {"SCRAM-SHA-256": (4096, "a"), "SCRAM-SHA-512": (8192, "b")}})
    users = [
        {"name": "alice", "mechanism": "SCRAM-SHA-256", "state": "absent"},
        {"name": "nobody", "state": "absent"},
    ]
    result = run(cluster, users, _ansible_diff=True)
    assert result["deleted"] == ["alice"] and result["users"] == {"alice": ["SCRAM-SHA-512"], "nobody": []}
    assert cluster.alters() == [("alter", [("alice", "delete", "SCRAM_SHA_256")])]
    assert result["diff"]["after"] == "alice (SCRAM-SHA-512, iterations 8192)\n"
    assert run(cluster, users)["changed"] is False


def test_check_mode_plans_verifies_and_makes_no_alter_request(run):
    cluster = Cluster(
        {"alice": {"SCRAM-SHA-512": (8192, "old-Pa55")}, "gone": {"SCRAM-SHA-512": (8192, "x")}}
    )
    users = [alice(), {"name": "bob", "password": "b0b-Pa55"}, {"name": "gone", "state": "absent"}]
    result = run(cluster, users, _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True
    assert (result["created"], result["updated"], result["deleted"]) == (["bob"], ["alice"], ["gone"])
    assert result["users"] == {"alice": ["SCRAM-SHA-512"], "bob": ["SCRAM-SHA-512"], "gone": []}
    assert cluster.alters() == [] and cluster.logins == [("alice", "SCRAM-SHA-512")]
    assert "alice: password changed" in result["diff"]["after"]


def test_settles_until_the_change_shows(run):
    cluster = Cluster(lag=3)
    result = run(cluster, [alice()])
    assert result["users"] == {"alice": ["SCRAM-SHA-512"]} and result["warned"] == []
    assert [c[0] for c in cluster.calls] == ["describe", "alter", "describe", "describe", "describe"]


def test_refusals_fail_before_connecting(run):
    cluster = Cluster()
    users = [alice(iterations=100), {"name": "bob"}, alice()]
    result = run(cluster, users)
    assert result["failed"] is True and cluster.settings == []
    assert result["msg"].startswith("refusing to change any user: ")
    assert len(result["errors"]) == 3


def test_verify_needs_a_sasl_login_listener(run):
    cluster = Cluster({"alice": {"SCRAM-SHA-512": (8192, "alice-Pa55")}})
    plaintext = {"security.protocol": "PLAINTEXT"}
    result = run(cluster, [alice()], client_config=plaintext)
    assert result["failed"] is True and cluster.settings == []
    assert "login_bootstrap_server/login_config" in result["msg"]

    result = run(
        cluster,
        [alice()],
        client_config=plaintext,
        login_bootstrap_server="b1:9095",
        login_config={"security.protocol": "SASL_SSL", "ssl.ca.location": "/ca.pem"},
    )
    assert result["changed"] is False, result
    admin_settings, login = cluster.settings
    assert admin_settings["security.protocol"] == "PLAINTEXT" and "sasl.username" not in admin_settings
    assert login["bootstrap.servers"] == "b1:9095" and login["security.protocol"] == "SASL_SSL"
    assert login["ssl.ca.location"] == "/ca.pem" and login["sasl.username"] == "alice"


def test_no_password_in_failures_even_when_kafka_echoes_one(run, tmp_path):
    properties = tmp_path / "admin.properties"
    properties.write_text(f"security.protocol=SASL_PLAINTEXT\nsasl.password={FILE_PASSWORD}\n")
    echo = KafkaError(KafkaError.UNSUPPORTED_SASL_MECHANISM, f"refused alice-Pa55 / {FILE_PASSWORD}")
    cluster = Cluster(refuse={"alice": echo})
    result = run(
        cluster,
        [alice(), {"name": "bob", "password": "b0b-Pa55"}],
        client_config={"sasl.username": "operator"},
        command_config=str(properties),
    )  # run() asserts no password is in the output
    assert result["failed"] is True and result["changed"] is True  # bob's credential went in
    assert result["msg"] == (
        "changing the SCRAM credentials failed: user 'alice': UNSUPPORTED_SASL_MECHANISM: "
        "refused ******** / ********"
    )
    assert cluster.settings[0]["sasl.password"] == FILE_PASSWORD


def test_the_guard_scrubs_before_ansible_does(monkeypatch):
    """The file's password is no module parameter: only the module's own guard masks it."""
    messages = []

    class Module:
        def fail_json(self, **kwargs):
            messages.append(kwargs)

    fail = module.scrubbing_fail(Module(), ku.secret_values([], {"sasl.password": FILE_PASSWORD}))
    backend = module.ScramBackend(None, fail, 1.0, admin)
    backend.wait(done(error=KafkaException(KafkaError(KafkaError._INVALID_ARG, FILE_PASSWORD))), "x")
    assert messages == [{"msg": "x failed: _INVALID_ARG: ********"}]


def test_a_described_user_without_credentials_and_a_failed_describe():
    cluster = Cluster({"alice": {"SCRAM-SHA-256": (4096, "pw")}})
    backend = module.ScramBackend(
        cluster, lambda **kw: (_ for _ in ()).throw(RuntimeError(kw["msg"])), 1.0, admin
    )
    assert backend.credentials(["alice", "bob"]) == {"alice": {"SCRAM-SHA-256": 4096}, "bob": {}}

    class Denied(Cluster):
        def describe_user_scram_credentials(self, users, request_timeout):
            denied = KafkaException(KafkaError(KafkaError.CLUSTER_AUTHORIZATION_FAILED, "denied"))
            return {user: done(error=denied) for user in users}

    with pytest.raises(
        RuntimeError, match="describing the SCRAM credentials of user 'a' failed: CLUSTER_AUTH"
    ):
        module.ScramBackend(Denied(), backend.fail, 1.0, admin).credentials(["a"])


def test_a_refused_admin_login_is_named_in_the_failure(run):
    admin_refused = KafkaError(KafkaError._AUTHENTICATION, REFUSED)
    result = run(Cluster(admin_error=admin_refused), [alice()])
    assert result["failed"] is True
    assert result["msg"] == (
        "describing the SCRAM credentials of user 'alice' failed: _TIMED_OUT: Failed while waiting for "
        f"controller (the admin client's own SASL login failed: _AUTHENTICATION: {REFUSED})"
    )


def test_only_secret_settings_are_masked_a_mechanism_or_user_name_in_client_config_is_not(run):
    cluster = Cluster({"operator": {"SCRAM-SHA-512": (4096, ADMIN_PASSWORD)}})
    config = {**ADMIN, "sasl.mechanism": "SCRAM-SHA-512", "security.protocol": "SASL_PLAINTEXT"}
    result = run(cluster, [alice()], client_config=config)
    assert result["users"] == {"alice": ["SCRAM-SHA-512"]}, result
    assert result["created"] == ["alice"]
    assert result["invocation"]["module_args"]["client_config"]["sasl.username"] == "operator"
    assert result["invocation"]["module_args"]["client_config"]["sasl.password"] != ADMIN_PASSWORD
