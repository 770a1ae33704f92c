"""Build server.properties from named blocks, the user's overrides last, written sorted."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError


def property_value(value: Any) -> str | None:
    """Kafka's spelling of a value: lower-case booleans, comma-joined lists; None drops the key."""
    if value is None or (isinstance(value, str) and value in ("", "None")):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value in ("True", "False"):
        return value.lower()
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def kafka_properties(
    blocks: Mapping[str, Mapping[str, Any]], overrides: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Merge the blocks in order, then the overrides; keys whose value is None are left out."""
    merged: dict[str, Any] = {}
    for name, block in blocks.items():
        if not isinstance(block, Mapping):
            raise AnsibleFilterError(f"kafka_properties: block {name!r} must be a mapping")
        merged.update(block)
    merged.update(overrides or {})
    rendered = {str(k): property_value(v) for k, v in merged.items()}
    for key, value in rendered.items():
        if value is not None and "\n" in value:
            raise AnsibleFilterError(f"kafka_properties: the value of {key!r} contains a line break")
    return {k: v for k, v in rendered.items() if v is not None}


def kafka_properties_text(properties: Mapping[str, str]) -> str:
    """`key=value` lines, sorted by key, so rendered files are easy to read and diff."""
    return "".join(f"{key}={properties[key]}\n" for key in sorted(properties))


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"kafka_properties": kafka_properties, "kafka_properties_text": kafka_properties_text}
