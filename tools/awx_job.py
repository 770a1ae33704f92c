r"""Run an AWX job template of awx/job_templates.yml through ansible-runner, the runner AWX uses.

    python tools/awx_job.py "kafka migrate to KRaft" -i inventory/lab \
        --answer kafka_migration_stop_after=controllers

The template's playbook, extra variables, limit, job tags and skip tags are the ones playbooks/awx.yml
gives AWX; survey answers are checked as AWX checks them (required, choices; defaults filled in) and
become extra variables; `-e @file` or `-e '{json}'` adds launch-time extra variables. The inventory is
the one AWX would sync (-i, repeatable). The run's output goes to stdout; the exit status is the
playbook's. Without an AWX server: this is what the tests run, honestly not AWX itself.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "awx" / "job_templates.yml"


class SurveyError(ValueError):
    """An answer AWX would refuse."""


def load(path: Path = DATA) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def template(data: dict[str, Any], name: str) -> dict[str, Any]:
    found = [t for t in data["job_templates"] if t["name"] == name]
    if not found:
        names = ", ".join(t["name"] for t in data["job_templates"])
        raise SurveyError(f"no job template {name!r} in {DATA.name} (one of: {names})")
    return found[0]


def _answer(question: dict[str, Any], raw: str | None) -> Any:
    """One survey answer as AWX passes it: multiselect a list, others a string; None when unanswered."""
    if raw is None:
        return question.get("default")
    if question["type"] == "multiselect":
        values = [v for v in raw.split(",") if v]
        unknown = [v for v in values if v not in question["choices"]]
    else:
        values, unknown = (
            raw,
            ([raw] if question["type"] == "multiplechoice" and raw not in question["choices"] else []),
        )
    if unknown:
        raise SurveyError(f"{question['variable']}: {', '.join(unknown)} is not one of {question['choices']}")
    return values


def survey_vars(job: dict[str, Any], answers: dict[str, str]) -> dict[str, Any]:
    """The extra variables the survey gives: each answer (or the question's default), checked."""
    questions = {q["variable"]: q for q in job.get("survey", [])}
    extra = [name for name in answers if name not in questions]
    if extra:
        raise SurveyError(f"job template {job['name']!r} asks no question {', '.join(extra)}")
    result: dict[str, Any] = {}
    for name, question in questions.items():
        value = _answer(question, answers.get(name))
        if value in (None, "", []):
            if question.get("required"):
                raise SurveyError(
                    f"job template {job['name']!r}: {name} is required ({question['question_name']})"
                )
            continue
        result[name] = value
    return result


def launch(job: dict[str, Any], answers: dict[str, str], extra_vars: dict[str, Any]) -> dict[str, Any]:
    """ansible_runner.run's arguments: AWX's precedence, template < survey < launch-time variables."""
    return {
        "playbook": job["playbook"],
        "extravars": {**job.get("extra_vars", {}), **survey_vars(job, answers), **extra_vars},
        "limit": job.get("limit") or None,
        "tags": job.get("job_tags") or None,
        "skip_tags": job.get("skip_tags") or None,
    }


def _extra_vars(values: list[str]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for value in values:
        text = Path(value[1:]).read_text() if value.startswith("@") else value
        merged |= yaml.safe_load(text) or {}
    return merged


def _answers(values: list[str]) -> dict[str, str]:
    pairs = [v.split("=", 1) for v in values]
    bad = [v for v, p in zip(values, pairs, strict=True) if len(p) != 2]
    if bad:
        raise SurveyError(f"--answer takes variable=value, got {', '.join(bad)}")
    return dict(pairs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("name", help="job template name")
    parser.add_argument("-i", "--inventory", action="append", required=True)
    parser.add_argument(
        "--answer", action="append", default=[], help="survey answer variable=value (multiselect: a,b)"
    )
    parser.add_argument("-e", "--extra-vars", action="append", default=[])
    args = parser.parse_args(argv)
    try:
        job = template(load(), args.name)
        kwargs = launch(job, _answers(args.answer), _extra_vars(args.extra_vars))
    except SurveyError as err:
        print(f"awx_job: {err}", file=sys.stderr)
        return 2
    import ansible_runner  # here, so that --help and the checks above need no runner

    inventories = [str(Path(i).resolve()) if Path(i).exists() else i for i in args.inventory]
    print(f"awx_job: {args.name}: {json.dumps({**kwargs, 'inventory': inventories})}", flush=True)
    with tempfile.TemporaryDirectory(prefix="awx-job-") as private:
        result = ansible_runner.run(
            private_data_dir=private,
            project_dir=str(ROOT),
            inventory=inventories,
            quiet=False,
            omit_event_data=True,  # the output is what is read; no per-task result payload to serialize
            **kwargs,
        )
    return int(result.rc)


if __name__ == "__main__":
    sys.exit(main())
