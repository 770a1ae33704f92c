"""host_state's release_current: the one rule for "this release is installed and linked", which the
zookeeper and kafka roles read to skip or run the release install; its four-letter word answer, which the
zookeeper role judges an untouched member by (tests/integration/test_mirror.py asks a real ZooKeeper)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from tests.ansible_run import load_collections, module_result

load_collections()

from ansible_collections.kafka_aws.kafka.plugins.modules import host_state  # noqa: E402

pytestmark = pytest.mark.integration


def probe(release_dir: Path, link: Path) -> dict:
    return module_result(
        "kafka_aws.kafka.host_state", "-a", f"service=kafka-aws-test release_dir={release_dir} link={link}"
    )


def state(found: dict) -> tuple[bool, str | None, bool]:
    return found["release_installed"], found["link_target"], found["release_current"]


def test_release_current_only_when_installed_and_linked(tmp_path):
    release, other, link = tmp_path / "kafka_2.13-3.9.2", tmp_path / "kafka_2.13-3.9.1", tmp_path / "kafka"
    release.mkdir()
    assert state(probe(release, link)) == (False, None, False)  # unpacked, no marker: not installed
    (release / ".kafka-aws-release").write_text("")
    assert state(probe(release, link)) == (True, None, False)  # installed, no link yet
    link.symlink_to(other)
    assert state(probe(release, link)) == (True, str(other), False)  # the link names the old release
    link.unlink()
    link.symlink_to(release)
    assert state(probe(release, link)) == (True, str(release), True)


def answer_once(server: socket.socket, reply: bytes, heard: list[bytes]) -> None:
    conn, _ = server.accept()
    with conn:
        heard.append(conn.recv(16))
        conn.sendall(reply)


def test_four_letter_reply_read_to_the_end_only_when_active():
    reply = b"Zookeeper version: 3.9.4\nMode: follower\n" + b"x" * 9000  # longer than one read
    with socket.create_server(("127.0.0.1", 0)) as server:
        heard: list[bytes] = []
        helper = threading.Thread(target=answer_once, args=(server, reply, heard))
        helper.start()
        ask = {"address": "127.0.0.1", "port": server.getsockname()[1], "word": "srvr"}
        assert host_state.four_letter_reply(ask, active=True) == reply.decode()
        helper.join(5)
        assert heard == [b"srvr"]
        assert host_state.four_letter_reply(ask, active=False) == ""  # a unit that is down is not asked
    assert host_state.four_letter_reply(ask, active=True) == ""  # nothing listens any more
    assert host_state.four_letter_reply(None, active=True) == ""
