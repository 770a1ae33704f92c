"""config_files: a role's folders and configuration files, compared and written only where they differ."""

from __future__ import annotations

DOCUMENTATION = r"""
module: config_files
short_description: Render a role's configuration files and write only those that differ, in one round trip
description:
  - Creates folders and writes files in one module execution per host, so that a no-change run of a
    role's whole configuration costs one round trip (with pipelining) instead of one per file.
  - Templates (O(files[].src)) are rendered on the controller by the action plugin exactly as
    M(ansible.builtin.template) renders them (same search path, C(ansible_managed), C(template_host),
    C(template_path) and the other template variables, C(trim_blocks)); O(files[].content) is a literal
    instead.
  - On the host, each file's SHA-1 is compared with the rendering. A file whose content differs is
    written to a temporary file in the same folder and moved over the old one atomically; nothing of the
    old file is kept (owner, group and mode are the declared ones). A file whose content matches but whose
    owner, group or mode differ is fixed in place. Both count as changes.
  - Folders are handled first, in the order given, then files, in the order given.
  - Everything is validated before anything is changed; an unknown owner or group, a bad mode or a
    relative path fails with a message naming the folder or file. In check mode an unknown owner or
    group is one an earlier task of the run would have created (its creation only simulated), so the
    folder or file is reported as changed instead.
  - The rendered contents are never returned in the result; files marked O(files[].secret) show only a
    placeholder in diff mode.
version_added: "0.2.0"
author: kafka-aws
options:
  directories:
    description: Folders to create when missing; their owner, group and mode are enforced.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the folder (missing parents are created with default permissions).
        type: path
        required: true
      owner:
        description: User name (or numeric uid) owning the folder; omitted means the user running the module.
        type: str
      group:
        description: Group name (or numeric gid) of the folder; omitted means the running user's group.
        type: str
      mode:
        description: Permissions as octal digits, such as C("0750") (quote it in YAML).
        type: raw
        required: true
  files:
    description: Files to write; exactly one of O(files[].src) and O(files[].content) per file.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Absolute path of the file on the host; its folder must exist or be in O(directories).
        type: path
        required: true
      src:
        description:
          - Jinja2 template to render, found like M(ansible.builtin.template) finds it (the role's
            C(templates/) folder, then the usual search path).
        type: str
      content:
        description:
          - Literal content of the file, instead of O(files[].src).
          - Also how the action plugin hands the rendered template to the module.
        type: str
      vars:
        description: Extra variables available only while rendering this file's template (such as C(item)).
        type: dict
        default: {}
      owner:
        description:
          - User name (or numeric uid) owning the file.
          - Omitted means it is not enforced; a file written by this run belongs to the user running it.
        type: str
      group:
        description:
          - Group name (or numeric gid) of the file.
          - Omitted means it is not enforced; a file written by this run gets the running user's group.
        type: str
      mode:
        description: Permissions as octal digits, such as C("0640") (quote it in YAML).
        type: raw
        required: true
      secret:
        description:
          - The file holds credentials; diff mode shows a placeholder instead of its content.
          - No content is ever returned in the result, secret or not.
        type: bool
        default: false
  diff_max_size:
    description:
      - Largest file, in bytes, whose previous content is returned for diff mode.
      - The action plugin sets it from C(MAX_FILE_SIZE_FOR_DIFF); there is no need to set it.
    type: int
    default: 104448
attributes:
  check_mode:
    support: full
    details: Reports exactly what would change; folders that do not exist yet are reported as created,
      and the files inside them as well, also with an owner or group the host does not have yet.
  diff_mode:
    support: full
    details: A unified diff per changed file (a placeholder for secret files) and the old and new owner,
      group and mode when only those changed.
  action:
    support: full
notes:
  - Works with C(delegate_to=localhost) and C(become=false); leave O(files[].owner) and
    O(files[].group) out there to keep the running user's.
  - Decide restarts from RV(changed_files).
seealso:
  - module: ansible.builtin.template
"""

EXAMPLES = r"""
- name: Render the broker's folders and configuration
  kafka_aws.kafka.config_files:
    directories:
      - {path: /etc/kafka, owner: root, group: kafka, mode: "0750"}
      - {path: /var/lib/kafka/data, owner: kafka, group: kafka, mode: "0750"}
    files:
      - {src: server.properties.j2, dest: /etc/kafka/server.properties, owner: root, group: kafka,
         mode: "0640"}
      - {src: kafka.service.j2, dest: /etc/systemd/system/kafka.service, owner: root, group: root,
         mode: "0644"}
  register: kafka_files

- name: Schedule a restart when the broker's configuration changed
  ansible.builtin.set_fact:
    kafka_restart_pending: true
  when: "'/etc/kafka/server.properties' in kafka_files.changed_files"

- name: Write a ZooKeeper member's id
  kafka_aws.kafka.config_files:
    files:
      - {content: "{{ zookeeper_myid }}\n", dest: /var/lib/zookeeper/data/myid, owner: zookeeper,
         group: zookeeper, mode: "0644"}

- name: Render client profiles; they hold credentials, so diff mode shows no content
  kafka_aws.kafka.config_files:
    directories:
      - {path: /etc/kafka/clients, owner: root, group: kafka, mode: "0750"}
    files:
      - src: client.properties.j2
        dest: /etc/kafka/clients/orders.properties
        owner: root
        group: kafka
        mode: "0640"
        vars: {item: {name: orders, properties: {sasl.mechanism: SCRAM-SHA-512}}}
        secret: true

- name: Keep a local copy of a profile on the control node, owned by the user running Ansible
  kafka_aws.kafka.config_files:
    directories:
      - {path: "{{ lookup('ansible.builtin.env', 'HOME') }}/.kafka-aws/clients", mode: "0700"}
    files:
      - src: client.properties.j2
        dest: "{{ lookup('ansible.builtin.env', 'HOME') }}/.kafka-aws/clients/app.properties"
        mode: "0600"
        vars: {item: {name: app, properties: {security.protocol: SSL}}}
        secret: true
  delegate_to: localhost
  run_once: true
  become: false
"""

RETURN = r"""
changed_files:
  description: The O(files[].dest) of every file that changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [/etc/kafka/server.properties]
files:
  description: One entry per file, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    dest:
      description: The file's O(files[].dest), as given.
      type: str
    changed:
      description: Whether the file was (or would be) written or fixed.
      type: bool
    reason:
      description:
        - C(created) (the file did not exist), C(content) (its content differed; it was rewritten) or
          C(attributes) (only its owner, group or mode differed; they were fixed); null when unchanged.
      type: str
  sample: [{dest: /etc/kafka/server.properties, changed: true, reason: content}]
directories:
  description: One entry per folder, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The folder's O(directories[].path), as given.
      type: str
    changed:
      description: Whether the folder was (or would be) created or fixed.
      type: bool
    reason:
      description: C(created) or C(attributes); null when unchanged.
      type: str
  sample: [{path: /etc/kafka, changed: false, reason: null}]
diff:
  description:
    - In diff mode, one entry per changed folder or file (C(before), C(after), C(before_header),
      C(after_header)); a placeholder instead of the content of secret files.
  returned: when diff mode is on and something changed
  type: list
  elements: dict
"""

import contextlib
import grp
import hashlib
import os
import pwd
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kafka_aws.kafka.plugins.module_utils.config_files import (
    ATTRIBUTES,
    CONTENT,
    CREATED,
    argument_spec,
    format_mode,
    parse_mode,
)


class ConfigError(Exception):
    """A problem with one folder or file, reported with its name."""


@dataclass
class Entry:
    """A folder or file to converge, its attributes resolved to numbers."""

    label: str
    path: str
    mode: int
    uid: int | None  # None: not enforced
    gid: int | None
    data: bytes = b""
    secret: bool = False


@dataclass
class Outcome:
    """What changed, per folder and file, in order (and the old state diff mode needs)."""

    directories: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)

    def as_result(self) -> dict[str, Any]:
        changed_files = [f["dest"] for f in self.files if f["changed"]]
        changed = bool(changed_files) or any(d["changed"] for d in self.directories)
        return {
            "changed": changed,
            "changed_files": changed_files,
            "files": self.files,
            "directories": self.directories,
        }


# In check mode an owner or group that does not exist yet is one the run would create first (the role's
# user task, itself only simulated): the entry then differs from whatever is on the host, and is reported
# as a change instead of refused. No real id is negative, and check mode changes no owner.
NOT_YET_CREATED = -2


def resolve_id(kind: str, name: str | None, lookup: Callable[[str], int], check_mode: bool) -> int | None:
    if name is None:
        return None
    if name.isdigit():
        return int(name)
    try:
        return lookup(name)
    except KeyError:
        if check_mode:
            return NOT_YET_CREATED
        raise ConfigError(f"{kind} {name!r} does not exist on this host") from None


def make_entry(label: str, path: str, spec: dict[str, Any], check_mode: bool) -> Entry:
    if not os.path.isabs(path):
        raise ConfigError("the path must be absolute")
    try:
        mode = parse_mode(spec["mode"])
    except ValueError as error:
        raise ConfigError(str(error)) from None
    uid = resolve_id("owner", spec["owner"], lambda name: pwd.getpwnam(name).pw_uid, check_mode)
    gid = resolve_id("group", spec["group"], lambda name: grp.getgrnam(name).gr_gid, check_mode)
    return Entry(label, path, mode, uid, gid)


def file_entry(index: int, spec: dict[str, Any], check_mode: bool) -> Entry:
    label = f"files[{index}] {spec['dest']}"
    entry = make_entry(label, spec["dest"], spec, check_mode)
    if spec["content"] is None:
        raise ConfigError("no content (src is rendered by the action plugin; call the module by its FQCN)")
    entry.data = spec["content"].encode("utf-8", errors="surrogateescape")
    entry.secret = spec["secret"]
    return entry


def directory_entry(index: int, spec: dict[str, Any], check_mode: bool) -> Entry:
    return make_entry(f"directories[{index}] {spec['path']}", spec["path"], spec, check_mode)


def collect(
    kind: str,
    key: str,
    build: Callable[[int, dict[str, Any], bool], Entry],
    module: AnsibleModule,
    errors: list[str],
) -> list[Entry]:
    """Build every entry of one kind, gathering every error (each naming its entry) before any change."""
    entries = []
    for index, spec in enumerate(module.params[kind]):
        try:
            entries.append(build(index, spec, module.check_mode))
        except ConfigError as error:
            errors.append(f"{kind}[{index}] {spec[key]}: {error}")
    return entries


def duplicates(entries: list[Entry]) -> list[str]:
    seen: dict[str, str] = {}
    errors = []
    for entry in entries:
        key = os.path.normpath(entry.path)
        if key in seen:
            errors.append(f"{entry.label}: same path as {seen[key]}")
        seen.setdefault(key, entry.label)
    return errors


def sha1_of_file(path: str) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def attributes_differ(entry: Entry, status: os.stat_result) -> bool:
    return (
        stat.S_IMODE(status.st_mode) != entry.mode
        or (entry.uid is not None and status.st_uid != entry.uid)
        or (entry.gid is not None and status.st_gid != entry.gid)
    )


def describe_attributes(status: os.stat_result) -> dict[str, str]:
    """The old owner, group and mode, by name where the host knows the name (for diff mode)."""
    try:
        owner = pwd.getpwuid(status.st_uid).pw_name
    except KeyError:
        owner = str(status.st_uid)
    try:
        group = grp.getgrgid(status.st_gid).gr_name
    except KeyError:
        group = str(status.st_gid)
    return {"mode": format_mode(stat.S_IMODE(status.st_mode)), "owner": owner, "group": group}


def stat_or_none(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise ConfigError("a parent of this path is not a folder") from None


def directory_reason(entry: Entry) -> tuple[str | None, os.stat_result | None]:
    status = stat_or_none(entry.path)
    if status is None:
        return CREATED, None
    if not stat.S_ISDIR(status.st_mode):
        raise ConfigError("exists and is not a folder")
    return (ATTRIBUTES if attributes_differ(entry, status) else None), status


def file_reason(entry: Entry) -> tuple[str | None, os.stat_result | None]:
    status = stat_or_none(entry.path)
    if status is None:
        return CREATED, None
    if not stat.S_ISREG(status.st_mode):
        raise ConfigError("exists and is not a regular file")
    if sha1_of_file(entry.path) != hashlib.sha1(entry.data).hexdigest():
        return CONTENT, status
    return (ATTRIBUTES if attributes_differ(entry, status) else None), status


def fix_attributes(entry: Entry) -> None:
    if entry.uid is not None or entry.gid is not None:
        os.chown(entry.path, -1 if entry.uid is None else entry.uid, -1 if entry.gid is None else entry.gid)
    os.chmod(entry.path, entry.mode)  # after chown, which may clear setuid/setgid bits


def create_directory(entry: Entry) -> None:
    os.makedirs(entry.path)
    fix_attributes(entry)


def write_file(entry: Entry) -> None:
    """Temporary file in the same folder (mode 0600 until complete), then an atomic rename over dest."""
    folder, name = os.path.split(entry.path)
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    except FileNotFoundError:
        raise ConfigError("its folder does not exist (list the folder under directories)") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(entry.data)
            handle.flush()
            os.fsync(handle.fileno())
            if entry.uid is not None or entry.gid is not None:
                os.fchown(
                    handle.fileno(),
                    -1 if entry.uid is None else entry.uid,
                    -1 if entry.gid is None else entry.gid,
                )
            os.fchmod(handle.fileno(), entry.mode)
        os.replace(temporary, entry.path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def previous_content(entry: Entry, status: os.stat_result, max_size: int) -> dict[str, Any]:
    """The old content for diff mode, or the standard marker saying why it is not shown."""
    if status.st_size > max_size:
        return {"dst_larger": max_size}
    with open(entry.path, "rb") as handle:
        data = handle.read()
    if b"\x00" in data:
        return {"dst_binary": True}
    try:
        return {"before": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"dst_binary": True}


def converge_directory(module: AnsibleModule, entry: Entry) -> dict[str, Any]:
    reason, status = directory_reason(entry)
    if reason == CREATED and not module.check_mode:
        create_directory(entry)
    elif reason == ATTRIBUTES and not module.check_mode:
        fix_attributes(entry)
    report: dict[str, Any] = {"path": entry.path, "changed": reason is not None, "reason": reason}
    if reason == ATTRIBUTES and module._diff and status is not None:
        report["before_attributes"] = describe_attributes(status)
    return report


def converge_file(module: AnsibleModule, entry: Entry) -> dict[str, Any]:
    reason, status = file_reason(entry)
    report: dict[str, Any] = {"dest": entry.path, "changed": reason is not None, "reason": reason}
    if module._diff and status is not None:  # read before writing
        if reason == ATTRIBUTES:
            report["before_attributes"] = describe_attributes(status)
        elif reason == CONTENT and not entry.secret:
            report["previous"] = previous_content(entry, status, module.params["diff_max_size"])
    if reason in (CREATED, CONTENT) and not module.check_mode:
        write_file(entry)
    elif reason == ATTRIBUTES and not module.check_mode:
        fix_attributes(entry)
    return report


def converge(module: AnsibleModule, directories: list[Entry], files: list[Entry], outcome: Outcome) -> None:
    """Folders first, then files; the first failure stops the run, naming the folder or file."""
    for entries, reports, step in (
        (directories, outcome.directories, converge_directory),
        (files, outcome.files, converge_file),
    ):
        for entry in entries:
            try:
                reports.append(step(module, entry))
            except ConfigError as error:
                raise ConfigError(f"{entry.label}: {error}") from None
            except OSError as error:
                raise ConfigError(f"{entry.label}: {error.strerror or error}") from None


def keep_only_secrets_masked(module: AnsibleModule) -> None:
    """Mask only secret contents in the module's output from here on.

    Every content was masked while the module logged its invocation. No content is ever put in the
    result, so masking non-secret contents would only garble it: Ansible masks a no_log value wherever
    it appears as a substring, and a myid file's content "1\\n" would turn "clientPort=2181\\n" in a
    diff into "clientPort=218********".
    """
    module.no_log_values = {
        spec["content"] for spec in module.params["files"] if spec["secret"] and spec["content"]
    }


def without_contents(params: dict[str, Any]) -> dict[str, Any]:
    """The arguments as the module's invocation record shows them: no content, secret or not."""
    files = [{k: v for k, v in spec.items() if k not in ("content", "vars")} for spec in params["files"]]
    return {**params, "files": files}


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    keep_only_secrets_masked(module)
    invocation = {"module_args": without_contents(module.params)}
    errors: list[str] = []
    directories = collect("directories", "path", directory_entry, module, errors)
    files = collect("files", "dest", file_entry, module, errors)
    errors += duplicates(directories) + duplicates(files)
    if errors:
        module.fail_json(
            msg="config_files: nothing changed: " + "; ".join(errors), errors=errors, invocation=invocation
        )
    outcome = Outcome()
    try:
        converge(module, directories, files, outcome)
    except ConfigError as error:
        module.fail_json(msg=f"config_files: {error}", invocation=invocation, **outcome.as_result())
    module.exit_json(invocation=invocation, **outcome.as_result())


if __name__ == "__main__":
    main()
