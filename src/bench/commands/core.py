"""``bench list`` and ``bench info``: read the task registry."""
from __future__ import annotations

import json

import yaml

from bench.tasks import get_task, list_task_patterns, list_tasks


def register(sub) -> None:
    p = sub.add_parser("list", help="print the task registry as a table")
    p.add_argument("--family", help="only tasks of this family (e.g. genelab)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("info", help="print one task's merged spec (YAML)")
    p.add_argument("task", help="registry name (A5_skin) or unambiguous upstream id (A5)")
    p.set_defaults(handler=cmd_info)


def format_table(rows: list[dict], columns: list[str]) -> str:
    """A plain fixed-width text table (no external dependency)."""
    widths = {c: max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns}
    line = "  ".join(c.ljust(widths[c]) for c in columns)
    rule = "  ".join("-" * widths[c] for c in columns)
    body = ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join([line, rule, *body])


def registry_rows(family: str | None = None) -> list[dict]:
    rows = []
    for spec in list_tasks(family):
        level = spec.params.get("level", "")
        if spec.params.get("collection"):
            level = f"{level}:{spec.params['collection']}"
        rows.append({
            "task": spec.name, "family": spec.family, "upstream": spec.upstream_id or "",
            "level": level, "split": spec.split.get("scheme", ""), "domain": spec.domain or "",
            "label": spec.label.get("column", ""), "metric": f"{spec.metric['name']}:{spec.metric['primary']}",
        })
    return rows


def cmd_list(args) -> int:
    rows = registry_rows(args.family)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(format_table(rows, ["task", "family", "upstream", "level", "split", "domain", "label", "metric"]))
        print(f"\n{len(rows)} tasks")
        for pat in list_task_patterns(args.family):
            n = {k: len(pat.choices(k) or []) for k in pat.fields}
            example = pat.pattern
            for key in pat.fields:
                example = example.replace("{" + key + "}", (pat.choices(key) or [key.upper()])[0])
            print(f"+ pattern {pat.pattern} ({pat.family}; {', '.join(f'{v} {k}s' for k, v in n.items())}), "
                  f"e.g. `bench info {example}`")
    return 0


def cmd_info(args) -> int:
    spec = get_task(args.task)
    print(yaml.safe_dump(spec.raw, sort_keys=False, allow_unicode=True), end="")
    print(f"# file: {spec.path}\n# spec sha256: {spec.spec_hash}")
    return 0
