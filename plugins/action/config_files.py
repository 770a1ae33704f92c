"""config_files: render every template on the controller, then one module execution compares and writes."""

from __future__ import annotations

import json
import os
from typing import Any

from ansible import constants as C

# The template action's own helper for ansible_managed, template_host, template_path and the rest
# (ansible-core 2.19); using it keeps the rendering identical to ansible.builtin.template's.
from ansible._internal._templating import _template_vars
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase
from ansible.template import trust_as_template
from ansible_collections.kafka_aws.kafka.plugins.module_utils.config_files import (
    ATTRIBUTES,
    CONTENT,
    CREATED,
    argument_spec,
    format_mode,
    parse_mode,
)
from jinja2.defaults import (
    BLOCK_END_STRING,
    BLOCK_START_STRING,
    COMMENT_END_STRING,
    COMMENT_START_STRING,
    VARIABLE_END_STRING,
    VARIABLE_START_STRING,
)

MODULE = "kafka_aws.kafka.config_files"

# ansible.builtin.template's defaults, passed explicitly as it does.
TEMPLATE_OVERRIDES: dict[str, Any] = {
    "block_start_string": BLOCK_START_STRING,
    "block_end_string": BLOCK_END_STRING,
    "variable_start_string": VARIABLE_START_STRING,
    "variable_end_string": VARIABLE_END_STRING,
    "comment_start_string": COMMENT_START_STRING,
    "comment_end_string": COMMENT_END_STRING,
    "trim_blocks": True,
    "lstrip_blocks": False,
    "newline_sequence": "\n",
}


def secret_placeholder(dest: str) -> str:
    return f"(secret content of {dest} not shown)\n"


def wanted_attributes(spec: dict[str, Any]) -> dict[str, str]:
    wanted = {"mode": format_mode(parse_mode(spec["mode"]))}
    wanted.update({key: spec[key] for key in ("owner", "group") if spec.get(key) is not None})
    return wanted


def attributes_diff(path: str, spec: dict[str, Any], before: dict[str, str]) -> dict[str, Any]:
    """Like ansible.builtin.file's diff: the attributes that differ, before and after."""
    after = wanted_attributes(spec)
    keys = [key for key in after if before.get(key) != after[key]]
    return {
        "before_header": path,
        "after_header": path,
        "before": {"path": path, **{key: before.get(key) for key in keys}},
        "after": {"path": path, **{key: after[key] for key in keys}},
    }


class ActionModule(ActionBase):
    TRANSFERS_FILES = False  # contents travel in the module's arguments: one round trip with pipelining

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        try:
            directories, files = self._arguments()
            contents = [self._content(index, spec, task_vars) for index, spec in enumerate(files)]
            module_files = [self._module_file(*item) for item in zip(files, contents, strict=True)]
            module_result = self._execute_module(
                module_name=MODULE,
                module_args={
                    "directories": directories,
                    "files": module_files,
                    "diff_max_size": C.MAX_FILE_SIZE_FOR_DIFF,
                },
                task_vars=task_vars,
            )
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        module_result.pop("invocation", None)  # the module's arguments hold every content
        result.update(self._summary(directories, files, contents, module_result))
        return result

    def _arguments(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Validated against the module's own spec, then the checks that need to name a file."""
        self.validate_argument_spec(argument_spec=argument_spec())
        directories = list(self._task.args.get("directories") or [])
        files = list(self._task.args.get("files") or [])
        for kind, key, items in (("directories", "path", directories), ("files", "dest", files)):
            for index, spec in enumerate(items):
                try:
                    parse_mode(spec["mode"])
                except ValueError as error:
                    raise AnsibleActionFail(f"config_files: {kind}[{index}] {spec[key]}: {error}") from None
        for index, spec in enumerate(files):
            if (spec.get("src") is None) == (spec.get("content") is None):
                raise AnsibleActionFail(
                    f"config_files: files[{index}] {spec['dest']}: give exactly one of src and content"
                )
            if spec.get("vars") and spec.get("src") is None:
                raise AnsibleActionFail(
                    f"config_files: files[{index}] {spec['dest']}: vars only apply to a src template"
                )
        return directories, files

    def _content(self, index: int, spec: dict[str, Any], task_vars: dict[str, Any]) -> str:
        if spec.get("src") is None:
            content = spec["content"]  # like ansible.builtin.copy: a list or dict is written as JSON
            return json.dumps(content) if isinstance(content, (dict, list)) else str(content)
        try:
            return self._render(spec, task_vars)
        except AnsibleError as error:
            raise AnsibleActionFail(
                f"config_files: files[{index}] {spec['dest']}: {error.message}"
            ) from error

    def _render(self, spec: dict[str, Any], task_vars: dict[str, Any]) -> str:
        """Render one template as ansible.builtin.template does (ansible-core 2.19)."""
        source = self._find_needle("templates", spec["src"])
        template_data = trust_as_template(self._loader.get_text_file_contents(source))
        searchpath = []
        for path in [
            *task_vars.get("ansible_search_path", []),
            self._loader._basedir,
            os.path.dirname(source),
        ]:
            searchpath += [os.path.join(path, "templates"), path]
        temp_vars = {**task_vars, **(spec.get("vars") or {})}
        temp_vars.update(
            _template_vars.generate_ansible_template_vars(
                path=spec["src"],
                fullpath=source,
                dest_path=spec["dest"],
                include_ansible_managed="ansible_managed" not in temp_vars,
            )
        )
        templar = self._templar.copy_with_new_env(searchpath=searchpath, available_variables=temp_vars)
        rendered = templar.template(template_data, escape_backslashes=False, overrides=TEMPLATE_OVERRIDES)
        return "" if rendered is None else rendered

    @staticmethod
    def _module_file(spec: dict[str, Any], content: str) -> dict[str, Any]:
        keep = ("dest", "owner", "group", "mode", "secret")
        return {**{key: spec[key] for key in keep if key in spec}, "content": content}

    def _summary(
        self,
        directories: list[dict[str, Any]],
        files: list[dict[str, Any]],
        contents: list[str],
        module_result: dict[str, Any],
    ) -> dict[str, Any]:
        """The public result: each folder and file as given, what changed and why; never a content."""
        summary = {key: value for key, value in module_result.items() if key not in ("files", "directories")}
        folder_reports = module_result.get("directories", [])
        file_reports = module_result.get("files", [])
        summary["directories"] = [
            {"path": spec["path"], "changed": report["changed"], "reason": report["reason"]}
            for spec, report in zip(directories, folder_reports, strict=False)
        ]
        summary["files"] = [
            {"dest": spec["dest"], "changed": report["changed"], "reason": report["reason"]}
            for spec, report in zip(files, file_reports, strict=False)
        ]
        summary["changed_files"] = [entry["dest"] for entry in summary["files"] if entry["changed"]]
        if self._task.diff:
            diff = [self._folder_diff(*item) for item in zip(directories, folder_reports, strict=False)]
            diff += [self._file_diff(*item) for item in zip(files, contents, file_reports, strict=False)]
            diff = [entry for entry in diff if entry]
            if diff:
                summary["diff"] = diff
        return summary

    @staticmethod
    def _folder_diff(spec: dict[str, Any], report: dict[str, Any]) -> dict[str, Any] | None:
        path = spec["path"]
        if report["reason"] == CREATED:
            after = {"path": path, "state": "directory", **wanted_attributes(spec)}
            return {
                "before_header": path,
                "after_header": path,
                "before": {"path": path, "state": "absent"},
                "after": after,
            }
        if report["reason"] == ATTRIBUTES:
            return attributes_diff(path, spec, report.get("before_attributes", {}))
        return None

    @staticmethod
    def _file_diff(spec: dict[str, Any], content: str, report: dict[str, Any]) -> dict[str, Any] | None:
        dest = spec["dest"]
        if report["reason"] == ATTRIBUTES:
            return attributes_diff(dest, spec, report.get("before_attributes", {}))
        if report["reason"] not in (CREATED, CONTENT):
            return None
        diff: dict[str, Any] = {"before_header": dest, "after_header": spec.get("src") or dest}
        if spec.get("secret"):
            before = "" if report["reason"] == CREATED else f"(previous secret content of {dest} not shown)\n"
            return {**diff, "before": before, "after": secret_placeholder(dest)}
        previous = report.get("previous", {"before": ""})
        if len(content.encode("utf-8", errors="surrogateescape")) > C.MAX_FILE_SIZE_FOR_DIFF:
            return {**diff, "src_larger": C.MAX_FILE_SIZE_FOR_DIFF}
        if "before" not in previous:
            return {**diff, **previous}
        return {**diff, "before": previous["before"], "after": content}
