"""Parse the SHA-512 digests Apache publishes beside its releases."""

from __future__ import annotations

import re
from collections.abc import Callable

from ansible.errors import AnsibleFilterError

HEX512 = re.compile(r"[0-9a-f]{128}")


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
    raise AnsibleFilterError(f"not a SHA-512 checksum (sha512sum or gpg --print-md format): {text[:80]!r}")


class FilterModule:
    def filters(self) -> dict[str, Callable[[str], str]]:
        return {"apache_sha512": apache_sha512}
