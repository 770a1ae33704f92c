"""module_utils/releases.py: the published SHA-512 formats, one verified download per archive."""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path

import pytest

from tests.unit.conftest import FIXTURES, load

releases = load("plugins/module_utils/releases.py", "releases_utils")

ARCHIVE = b"kafka release bytes " * 1000
DIGEST = hashlib.sha512(ARCHIVE).hexdigest()
URL = "http://mirror.test/kafka/3.9.2/kafka_2.13-3.9.2.tgz"


def gpg_format(name: str, digest: str) -> str:
    groups = [digest[i : i + 8].upper() for i in range(0, 128, 8)]
    lines = [" ".join(groups[:6]), " ".join(groups[6:12]), " ".join(groups[12:])]
    return f"{name}: {lines[0]}\n{' ' * len(name)}  {lines[1]}\n  {lines[2]}\n"


@pytest.mark.parametrize(
    "text",
    [
        DIGEST,
        f"{DIGEST}  kafka_2.13-3.9.2.tgz\n",
        f"{DIGEST.upper()} *kafka.tgz",
        gpg_format("kafka_2.13-3.5.1.tgz", DIGEST),
    ],
)
def test_sha512_formats(text):
    assert releases.apache_sha512(text) == DIGEST


# Real files Apache published (fixtures/README.md names each source) and each digest as a second,
# independent source gives it: andrewrothstein/ansible-kafka defaults/main.yml,
# kafka_checksums['2.1.0']['2.11'].
PUBLISHED = {
    "kafka_2.11-2.1.0.tgz.sha512": (  # gpg --print-md format, wrapped over three lines
        "b620243c9d042b3f3fd73f5d216e7b2ef01e9b0c444035f7d3eb2962e6e519d8"
        "e599cb0c602f2835e9a94e54679ed674df14fcd6fbc7a9cb3a6c083242a4650a"
    ),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_apache_checksum_files(name):
    text = (FIXTURES / name).read_bytes().decode("ascii")
    assert releases.apache_sha512(text) == PUBLISHED[name]


def test_not_a_checksum():
    with pytest.raises(ValueError, match="not a SHA-512 checksum"):
        releases.apache_sha512("<html>404 Not Found</html>")


class Mirror:
    """A fake opener: serves fixed bytes per URL and counts the requests."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, url: str) -> io.BytesIO:
        with self.lock:
            self.requests.append(url)
        if url not in self.files:
            raise OSError(f"HTTP Error 404: Not Found ({url})")
        return io.BytesIO(self.files[url])


def test_published_checksum_is_read_and_an_inline_one_wins():
    mirror = Mirror({URL + ".sha512": f"{DIGEST}  kafka_2.13-3.9.2.tgz\n".encode()})
    assert releases.expected_sha512("", URL + ".sha512", mirror) == (DIGEST, URL + ".sha512")
    assert releases.expected_sha512(DIGEST.upper(), URL + ".sha512", mirror) == (
        DIGEST,
        "apache_release_checksum",
    )
    assert mirror.requests == [URL + ".sha512"]


def test_unreadable_checksum_file_names_the_variable_and_the_fix():
    with pytest.raises(releases.ReleaseError) as failure:
        releases.expected_sha512("", URL + ".sha512", Mirror({}))
    assert "apache_release_checksum_url" in str(failure.value) and "Set apache_release_checksum" in str(
        failure.value
    )


def test_download_once_then_reused(tmp_path: Path):
    mirror = Mirror({URL: ARCHIVE})
    dest = tmp_path / "cache" / "kafka_2.13-3.9.2.tgz"
    assert releases.verified_download(URL, dest, DIGEST, "test", mirror) is True
    assert releases.verified_download(URL, dest, DIGEST, "test", mirror) is False
    assert dest.read_bytes() == ARCHIVE and mirror.requests == [URL]
    assert not (dest.parent / f"{dest.name}.part").exists()


def test_a_corrupted_cache_is_downloaded_again(tmp_path: Path):
    dest = tmp_path / "kafka_2.13-3.9.2.tgz"
    dest.write_bytes(b"truncated")
    assert releases.verified_download(URL, dest, DIGEST, "test", Mirror({URL: ARCHIVE})) is True
    assert dest.read_bytes() == ARCHIVE


def test_mismatch_removes_the_download_and_names_both_digests(tmp_path: Path):
    dest = tmp_path / "kafka_2.13-3.9.2.tgz"
    dest.write_bytes(b"an older, unverified file")
    wrong = "ab" * 64
    with pytest.raises(releases.ReleaseError) as failure:
        releases.verified_download(URL, dest, wrong, URL + ".sha512", Mirror({URL: ARCHIVE}))
    message = str(failure.value)
    assert f"expected sha512 {wrong} from {URL}.sha512" in message and f"has sha512 {DIGEST}" in message
    assert "Nothing was installed" in message
    assert not dest.exists() and not (tmp_path / f"{dest.name}.part").exists()


def test_failed_download_keeps_nothing(tmp_path: Path):
    dest = tmp_path / "kafka_2.13-3.9.2.tgz"
    with pytest.raises(releases.ReleaseError, match="404"):
        releases.verified_download(URL, dest, DIGEST, "test", Mirror({}))
    assert list(tmp_path.iterdir()) == [tmp_path / f"{dest.name}.lock"]


def test_hosts_asking_at_once_share_one_download(tmp_path: Path):
    """Ansible's forks run the action plugin for every host at the same time: one download, all verified."""
    mirror = Mirror({URL: ARCHIVE})
    dest = tmp_path / "kafka_2.13-3.9.2.tgz"
    results: list[bool] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(releases.verified_download(URL, dest, DIGEST, "t", mirror))
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True] and mirror.requests == [URL]


def test_local_archive_checked_against_the_given_checksum(tmp_path: Path):
    archive = tmp_path / "kafka.tgz"
    archive.write_bytes(ARCHIVE)
    assert releases.verified_local(archive, "") == DIGEST
    assert releases.verified_local(archive, DIGEST) == DIGEST
    with pytest.raises(releases.ReleaseError, match=r"apache_release_local_archive.*expected ab"):
        releases.verified_local(archive, "ab" * 64)
    with pytest.raises(releases.ReleaseError, match="does not exist on the control node"):
        releases.verified_local(tmp_path / "missing.tgz", "")
