"""Kafka feature levels, read from `kafka-features.sh` and planned for finalizing an upgrade.

Used by the kafka_features module (the `kafka-features.sh ... upgrade` step after a rolling upgrade).
No Ansible import here.

API:
  parse_version_mapping(text) -> feature -> level, from `version-mapping --release-version R`.
  parse_describe(text) -> feature -> finalized level as printed (a number, or a metadata.version name).
  level_number(text) -> the level as a number, or None for a metadata.version name (look it up).
  metadata_names(raw) -> the metadata.version names of a parse_describe result that need looking up.
  resolve(raw, names) -> feature -> level, names turned into numbers with `names` (name -> level).
  plan(current, target, skip) -> feature -> level to upgrade to (never a downgrade, never a skipped one).
  held_back(current, target, skip) -> the skipped features the release would have raised.
  unknown_features(skip, known) -> names in skip that are no feature at all (likely a typo).
  upgrade_arguments(upgrades) -> the `upgrade --feature a=N ...` arguments.
  unreached(upgrades, after) -> one message per planned feature the cluster does not show at its level.
  tool_error(stdout, stderr) -> the tool's own error text, without the client's log lines.

Output formats (Kafka 3.9 and 4.x):
  version-mapping prints `metadata.version=33 (4.4)` then `feature=N` per feature.
  describe prints one line per feature the answering node supports, either tab separated (3.9, 4.0):
    `Feature: metadata.version<TAB>SupportedMinVersion: 3.3-IV3<TAB>...<TAB>FinalizedVersionLevel: 3.9-IV0
    <TAB>Epoch: 32`
  or padded with spaces (4.4: `Feature: %-40s  SupportedMinVersion: %-15s  ...  Epoch: %s`). A feature
  not listed is at level 0. metadata.version's levels are printed as names (`3.9-IV0`), or as
  `UNKNOWN N` when the tool does not know level N.
"""

from __future__ import annotations

import re

METADATA_VERSION = "metadata.version"

MAPPING_LINE = re.compile(r"^([a-z][a-z0-9_.-]*)=(\d+)(?:\s+\(.*\))?\s*$")
DESCRIBE_LINE = re.compile(
    r"^Feature:\s*(?P<feature>\S+)\s+SupportedMinVersion:.*?\s+FinalizedVersionLevel:\s*(?P<level>.*?)"
    r"\s+Epoch:"
)
UNKNOWN_LEVEL = re.compile(r"UNKNOWN (\d+)")
# log4j lines the admin client writes to stderr (`[2026-01-01 10:00:00,123] WARN ... (logger)`).
LOG_LINE = re.compile(r"^\[\d{4}-\d{2}-\d{2} [0-9:,.]+\] (?:TRACE|DEBUG|INFO|WARN) ")


def parse_version_mapping(text: str) -> dict[str, int]:
    """Feature -> level of `kafka-features.sh version-mapping`; ValueError without metadata.version."""
    levels: dict[str, int] = {}
    for line in text.splitlines():
        match = MAPPING_LINE.match(line.strip())
        if match:
            levels[match.group(1)] = int(match.group(2))
    if METADATA_VERSION not in levels:
        raise ValueError("no metadata.version=N line")
    return levels


def parse_describe(text: str) -> dict[str, str]:
    """Feature -> finalized level as printed by `kafka-features.sh describe`; ValueError when none."""
    levels: dict[str, str] = {}
    for line in text.splitlines():
        match = DESCRIBE_LINE.match(line.strip())
        if match:
            levels[match.group("feature")] = match.group("level").strip()
    if not levels:
        raise ValueError("no `Feature: ... FinalizedVersionLevel: ...` line")
    return levels


def level_number(text: str) -> int | None:
    """The level as a number (`0`, `UNKNOWN 34`), or None when it is a metadata.version name."""
    if text.isdigit():
        return int(text)
    unknown = UNKNOWN_LEVEL.fullmatch(text)
    return int(unknown.group(1)) if unknown else None


def metadata_names(raw: dict[str, str]) -> list[str]:
    """The levels of `raw` printed as names (metadata.version's), to look up with version-mapping."""
    return sorted({text for text in raw.values() if level_number(text) is None})


def resolve(raw: dict[str, str], names: dict[str, int]) -> dict[str, int]:
    """Feature -> level, each name found in `names` (name -> level); KeyError for a name not there."""
    levels: dict[str, int] = {}
    for feature, text in raw.items():
        number = level_number(text)
        levels[feature] = names[text] if number is None else number
    return dict(sorted(levels.items()))


def plan(current: dict[str, int], target: dict[str, int], skip: list[str]) -> dict[str, int]:
    """Feature -> target level, for every feature of `target` not in `skip` below its target."""
    return {
        feature: level
        for feature, level in sorted(target.items())
        if feature not in skip and current.get(feature, 0) < level
    }


def held_back(current: dict[str, int], target: dict[str, int], skip: list[str]) -> dict[str, int]:
    """The skipped features the release version would have raised, with the level it maps them to."""
    return {
        feature: level
        for feature, level in sorted(target.items())
        if feature in skip and current.get(feature, 0) < level
    }


def unknown_features(skip: list[str], known: set[str]) -> list[str]:
    """Names of `skip` that are no feature of the tool or the cluster (a typo would skip nothing)."""
    return sorted(set(skip) - known)


def upgrade_arguments(upgrades: dict[str, int]) -> list[str]:
    """`upgrade --feature a=N --feature b=M ...`: every planned feature in one call."""
    arguments = ["upgrade"]
    for feature, level in sorted(upgrades.items()):
        arguments += ["--feature", f"{feature}={level}"]
    return arguments


def unreached(upgrades: dict[str, int], after: dict[str, int]) -> list[str]:
    """One message per planned feature the cluster does not show at (or above) its planned level."""
    return [
        f"{feature}: expected {level}, found {after.get(feature, 0)}"
        for feature, level in sorted(upgrades.items())
        if after.get(feature, 0) < level
    ]


def tool_error(stdout: str, stderr: str) -> str:
    """The tool's error text: stderr without the admin client's log lines, then stdout.

    `upgrade` prints each feature's failure on stdout (`Could not upgrade x to N. reason`) and the
    summary on stderr (`1 out of 2 operation(s) failed.`), so both are kept. When stderr holds nothing
    but log lines they are kept too: the error must never be hidden.
    """
    lines = [line for line in stderr.strip().splitlines() if not LOG_LINE.match(line)]
    parts = ["\n".join(lines).strip() or stderr.strip(), stdout.strip()]
    return "\n".join(part for part in parts if part) or "no output"
