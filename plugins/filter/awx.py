"""AWX configuration as code: awx/job_templates.yml turned into awx.awx module arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The workflow step that syncs the cluster inventory (an inventory source, not a job template).
INVENTORY_SYNC = "inventory sync"


def _question(question: Mapping[str, Any]) -> dict[str, Any]:
    """One survey question as AWX stores it: a multiselect default is its choices joined by newlines."""
    default = question.get("default", "")
    if isinstance(default, list):
        default = "\n".join(default)
    spec = {
        "question_name": question["question_name"],
        "variable": question["variable"],
        "type": question["type"],
        "required": bool(question.get("required", False)),
        "default": default,
    }
    if "choices" in question:
        spec["choices"] = list(question["choices"])
    return spec


def awx_survey_spec(job: Mapping[str, Any]) -> dict[str, Any]:
    """awx.awx.job_template's survey_spec for a job template of awx/job_templates.yml ({} without one)."""
    questions = job.get("survey") or []
    if not questions:
        return {}
    return {
        "name": job["name"],
        "description": job.get("description", ""),
        "spec": [_question(q) for q in questions],
    }


def awx_workflow_nodes(
    workflow: Mapping[str, Any], organization: str, source: Mapping[str, str]
) -> list[dict[str, Any]]:
    """awx.awx.workflow_job_template's workflow_nodes: the steps in order, each after the previous succeeded.

    `source`: {name, inventory} of the cluster inventory's source, for the step INVENTORY_SYNC.
    """
    steps = list(workflow["steps"])
    nodes = []
    for index, step in enumerate(steps):
        if step == INVENTORY_SYNC:
            template = {
                "name": source["name"],
                "type": "inventory_source",
                "inventory": {"name": source["inventory"], "organization": {"name": organization}},
            }
        else:
            template = {"name": step, "type": "job_template", "organization": {"name": organization}}
        following = [{"identifier": f"step{index + 2}"}] if index + 1 < len(steps) else []
        nodes.append(
            {
                "identifier": f"step{index + 1}",
                "unified_job_template": template,
                "related": {"success_nodes": following, "failure_nodes": [], "always_nodes": []},
            }
        )
    return nodes


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"awx_survey_spec": awx_survey_spec, "awx_workflow_nodes": awx_workflow_nodes}
