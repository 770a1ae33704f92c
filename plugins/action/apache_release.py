"""apache_release: ask the host whether the release is there (one round trip); only when it is not,
download and verify the archive on the control node once, transfer it and unpack it in one more module run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from ansible.errors import AnsibleActionFail
from ansible.module_utils.urls import open_url
from ansible.plugins.action import ActionBase
from ansible_collections.kafka_aws.kafka.plugins.module_utils.releases import (
    ReleaseError,
    expected_sha512,
    verified_download,
    verified_local,
)

MODULE = "kafka_aws.kafka.apache_release"
DOWNLOAD_TIMEOUT_S = 60

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str", "required": True},
    "url": {"type": "str", "default": ""},
    "checksum_url": {"type": "str", "default": ""},
    "checksum": {"type": "str", "default": ""},
    "local_archive": {"type": "str", "default": ""},
    "cache_dir": {"type": "str", "required": True},
    "install_root": {"type": "str", "default": "/opt"},
    "link": {"type": "str", "required": True},
}


def opener(url: str) -> BinaryIO:
    return open_url(url, timeout=DOWNLOAD_TIMEOUT_S, follow_redirects="safe")  # type: ignore[no-any-return]


def control_archive(args: dict[str, Any]) -> tuple[Path, str]:
    """The verified archive on the control node and its SHA-512."""
    if args["local_archive"]:
        path = Path(os.path.expanduser(args["local_archive"]))
        return path, verified_local(path, args["checksum"])
    if not args["url"]:
        raise ReleaseError("apache_release: set apache_release_url or apache_release_local_archive.")
    expected, source = expected_sha512(
        args["checksum"], args["checksum_url"] or f"{args['url']}.sha512", opener
    )
    dest = Path(os.path.expanduser(args["cache_dir"])) / os.path.basename(urlsplit(args["url"]).path)
    verified_download(args["url"], dest, expected, source, opener)
    return dest, expected


class ActionModule(ActionBase):
    TRANSFERS_FILES = False  # a temporary folder only when the archive travels (not on a re-run)

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host_args = {
            "dir": f"{args['install_root'].rstrip('/')}/{args['name']}",
            "install_root": args["install_root"],
            "link": args["link"],
        }
        state = self._host(host_args, task_vars)
        if state["installed"] or self._task.check_mode:
            return {**result, **state, "changed": state["changed"] or not state["installed"]}
        try:
            archive, digest = control_archive(args)
        except ReleaseError as error:
            raise AnsibleActionFail(str(error)) from None
        try:
            remote = self._send(archive)
            installed = self._host(
                {**host_args, "archive": remote, "marker": f"{archive.name} sha512={digest}"}, task_vars
            )
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return {**result, **installed}

    def _send(self, archive: Path) -> str:
        """Copy the archive into a temporary folder on the host; its path there."""
        self._make_tmp_path()
        remote = self._connection._shell.join_path(self._connection._shell.tmpdir, archive.name)
        self._transfer_file(str(archive), remote)
        self._fixup_perms2((self._connection._shell.tmpdir, remote))
        return str(remote)

    def _host(self, module_args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        state = self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)
        state.pop("invocation", None)
        if state.get("failed"):
            raise AnsibleActionFail(state.get("msg", "apache_release failed on the host"))
        return state
