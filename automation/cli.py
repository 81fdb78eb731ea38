"""`automation` command line: validate a definition file, or run it in process."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class BadInput(Exception):
    """Input the user must fix; printed as one line, exit code 2."""


def _load_definition(path: str) -> Any:
    file = Path(path)
    if not file.is_file():
        raise BadInput(f"{path}: no such file")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: not JSON ({exc})") from exc
    # Accept either the bare definition or a workflow file {"definition": {...}, ...}.
    if isinstance(data, dict) and "definition" in data and "nodes" not in data:
        data = data["definition"]
    if not isinstance(data, dict) or "nodes" not in data:
        raise BadInput(f"{path}: not a workflow definition (expected an object with 'nodes')")
    return data


def _validate(definition: Any):
    from automation.graph_factory.validate import validate_definition

    return validate_definition(definition)


def cmd_validate(args: argparse.Namespace) -> int:
    report = _validate(_load_definition(args.file))
    if report.ok:
        print("ok")
        return EXIT_OK
    for issue in report.errors:
        print(str(issue))
    return EXIT_FAILED


def cmd_run(args: argparse.Namespace) -> int:
    definition = _load_definition(args.file)
    try:
        payload = json.loads(args.trigger) if args.trigger else None
    except json.JSONDecodeError as exc:
        raise BadInput(f"--trigger is not JSON ({exc})") from exc
    report = _validate(definition)
    if not report.ok:
        for issue in report.errors:
            print(str(issue), file=sys.stderr)
        raise BadInput(f"{args.file}: the definition has {len(report.errors)} validation errors")

    from automation.run_local import UnknownTenant, run_graph_in_process

    try:
        result = run_graph_in_process(
            report.graph,
            tenant_slug=args.tenant,
            workflow_name=Path(args.file).stem,
            payload=payload,
        )
    except UnknownTenant as exc:
        raise BadInput(str(exc)) from exc
    print(json.dumps(result, indent=2, default=str))
    return EXIT_OK if result["status"] == "success" else EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="automation", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="validate a definition file")
    validate.add_argument("file")
    validate.set_defaults(func=cmd_validate)
    run = sub.add_parser("run", help="run a definition file in process against the CRM database")
    run.add_argument("file")
    run.add_argument("--tenant", required=True, help="tenant slug, e.g. acme")
    run.add_argument("--trigger", default=None, help="trigger payload as JSON")
    run.set_defaults(func=cmd_run)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
