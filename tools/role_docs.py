"""Write each role README's variable table from its meta/argument_specs.yml.

`python tools/role_docs.py` rewrites the table between the markers; `--check` fails (exit 1)
when a README is missing its markers or its table is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- BEGIN VARIABLES -->", "<!-- END VARIABLES -->"


def cell(value: Any) -> str:
    text = (
        yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
        if not isinstance(value, str)
        else value
    )
    text = text.removesuffix("\n...").removesuffix("...").strip()
    return text.replace("|", "\\|").replace("\n", " ")


def rows(options: dict[str, Any], prefix: str = "") -> list[str]:
    lines = []
    for name, spec in options.items():
        kind = spec.get("type", "str")
        if kind == "list" and spec.get("elements"):
            kind = f"list of {spec['elements']}"
        if spec.get("required"):
            default = "(required)"
        elif "default" in spec:
            default = f"`{cell(spec['default'])}`" if spec["default"] not in ("", None) else '`""`'
        else:
            default = "(unset)"
        description = spec.get("description", "")
        if isinstance(description, list):
            description = " ".join(description)
        if spec.get("choices"):
            description += f" One of: {', '.join(f'`{c}`' for c in spec['choices'])}."
        lines.append(f"| `{prefix}{name}` | {kind} | {default} | {cell(description)} |")
        if spec.get("options"):
            lines.extend(
                rows(spec["options"], f"{prefix}{name}[].")
                if kind.startswith("list")
                else rows(spec["options"], f"{prefix}{name}.")
            )
    return lines


def table(role: Path) -> str:
    specs = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]
    options = dict(specs["main"].get("options", {}))
    for entry in specs.values():  # other entry points' own options (tasks_from), after main's
        options |= {k: v for k, v in (entry.get("options") or {}).items() if k not in options}
    header = ["| Variable | Type | Default | Description |", "|---|---|---|---|"]
    return "\n".join([BEGIN, *header, *rows(options), END])


def render(readme: str, role: Path) -> str:
    if BEGIN not in readme or END not in readme:
        raise ValueError(f"{role.name}/README.md has no {BEGIN} ... {END} markers")
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + table(role) + readme[end:]


def roles(root: Path = ROOT) -> list[Path]:
    return sorted(p.parent.parent for p in (root / "roles").glob("*/meta/argument_specs.yml"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="fail when a README is stale instead of writing it"
    )
    args = parser.parse_args(argv)
    stale = []
    for role in roles():
        readme_path = role / "README.md"
        readme = readme_path.read_text() if readme_path.exists() else ""
        try:
            wanted = render(readme, role)
        except ValueError as error:
            stale.append(str(error))
            continue
        if wanted != readme:
            if args.check:
                stale.append(f"{readme_path.relative_to(ROOT)} is stale: run python tools/role_docs.py")
            else:
                readme_path.write_text(wanted)
                print(f"wrote {readme_path.relative_to(ROOT)}")
    for problem in stale:
        print(problem, file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
