"""Apache release archives on the control node: the published SHA-512, one verified download per archive.

Used by the kafka_aws.kafka.apache_release action plugin. Several hosts (Ansible's forks) may ask for the
same archive at once: the download is made under an exclusive lock on the cache folder's
`<file>.lock`, into `<file>.part`, and renamed into place only once its digest matched, so a reader never
sees a partial or unverified archive.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

HEX512 = re.compile(r"[0-9a-f]{128}")
CHUNK = 1 << 20

# opens a URL and returns a readable binary stream (Ansible's open_url in the action plugin)
Opener = Callable[[str], BinaryIO]


class ReleaseError(Exception):
    """A download or verification failed; the message says what and how to fix it."""


def apache_sha512(text: str) -> str:
    """The hex digest from a bare digest, `sha512sum` output or `gpg --print-md SHA512` output.

    sha512sum: `<hex>  <file>`; gpg (older Kafka releases): `<file>: 0D2A2D5A 2A3F... ` wrapped
    over several lines in upper-case groups.
    """
    text = text.strip()
    first = text.split()[0] if text else ""
    if HEX512.fullmatch(first.lower()):
        return first.lower()
    if ":" in text:
        digest = re.sub(r"\s+", "", text.split(":", 1)[1]).lower()
        if HEX512.fullmatch(digest):
            return digest
    raise ValueError(f"not a SHA-512 checksum (sha512sum or gpg --print-md format): {text[:80]!r}")


def digest_of(chunks: Iterable[bytes], sink: BinaryIO | None = None) -> str:
    """The SHA-512 of a stream of chunks, written to `sink` on the way when given."""
    sha = hashlib.sha512()
    for chunk in chunks:
        sha.update(chunk)
        if sink is not None:
            sink.write(chunk)
    return sha.hexdigest()


def read_chunks(stream: BinaryIO) -> Iterable[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def file_sha512(path: Path) -> str:
    with path.open("rb") as stream:
        return digest_of(read_chunks(stream))


def expected_sha512(checksum: str, checksum_url: str, opener: Opener) -> tuple[str, str]:
    """The digest to verify against and where it came from (for the messages)."""
    if checksum:
        try:
            return apache_sha512(checksum), "apache_release_checksum"
        except ValueError as error:
            raise ReleaseError(f"apache_release: apache_release_checksum is {error}") from None
    try:
        with opener(checksum_url) as stream:
            text = stream.read().decode("utf-8", errors="replace")
    except Exception as error:
        raise ReleaseError(
            f"apache_release: could not read the published checksum {checksum_url} "
            f"(apache_release_checksum_url): {error}. Set apache_release_checksum to the SHA-512 instead. "
            "Nothing was installed."
        ) from None
    try:
        return apache_sha512(text), checksum_url
    except ValueError as error:
        raise ReleaseError(
            f"apache_release: {checksum_url} (apache_release_checksum_url) is {error}"
        ) from None


def verified_download(url: str, dest: Path, expected: str, source: str, opener: Opener) -> bool:
    """Make sure `dest` holds the archive at `url` with SHA-512 `expected`; True when it was downloaded now.

    A cached file that no longer matches (an interrupted or tampered download) is downloaded again; a
    download that does not match is removed and fails with both digests.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    with (dest.parent / f"{dest.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if dest.exists() and file_sha512(dest) == expected:
            return False
        part = dest.parent / f"{dest.name}.part"
        try:
            with opener(url) as stream, part.open("wb") as sink:
                actual = digest_of(read_chunks(stream), sink)
        except Exception as error:
            part.unlink(missing_ok=True)
            raise ReleaseError(
                f"apache_release: {url} (apache_release_url) failed verification or download: "
                f"expected sha512 {expected} from {source}; {error}. Nothing was installed."
            ) from None
        if actual != expected:
            part.unlink(missing_ok=True)
            dest.unlink(missing_ok=True)
            raise ReleaseError(
                f"apache_release: {url} (apache_release_url) failed verification or download: "
                f"expected sha512 {expected} from {source}; the download has sha512 {actual}. "
                "Nothing was installed."
            )
        os.replace(part, dest)
        return True


def verified_local(path: Path, checksum: str) -> str:
    """The SHA-512 of an archive already on the control node, checked against `checksum` when given."""
    if not path.is_file():
        raise ReleaseError(
            f"apache_release: apache_release_local_archive {path} does not exist on the control node."
        )
    actual = file_sha512(path)
    if checksum:
        try:
            expected = apache_sha512(checksum)
        except ValueError as error:
            raise ReleaseError(f"apache_release: apache_release_checksum is {error}") from None
        if actual != expected:
            raise ReleaseError(
                f"apache_release: {path} (apache_release_local_archive) has sha512 {actual}, "
                f"expected {expected} (apache_release_checksum). Nothing was installed."
            )
    return actual
