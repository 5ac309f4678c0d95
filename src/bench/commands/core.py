"""``bench list`` and ``bench info``: read the task registry."""
from __future__ import annotations

import json

import yaml

from bench.table import format_table
from bench.tasks import get_task, list_task_patterns, list_tasks

DESCRIPTION_WIDTH = 60


def register(sub) -> None:
    p = sub.add_parser("list")
    p.add_argument("--family", help="only tasks of this family (e.g. genelab)")
    p.add_argument("--json", action="store_true", help="print JSON (every field, full descriptions)")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("info")
    p.add_argument("task", help="registry name (A5_skin) or unambiguous upstream id (A5)")
    p.set_defaults(handler=cmd_info)


def data_source(spec) -> str:
    """Where a task's data come from, in words: real and shipped, real from the Hub or a local copy,
    or bench's synthetic default."""
    source = spec.source if isinstance(spec.source, dict) else {}
    if source.get("kind") == "embedded":
        return f"real: shipped ({source.get('package', 'package')})"
    if source.get("kind") == "h5ad":
        return "real: local (--data-dir)"
    if source.get("hub_repo"):
        return "real: Hub or local; synthetic offline"
    if source.get("expression"):
        return "real labels: local; synthetic expression"
    return "real: local; synthetic default"


def one_line(text: str | None, width: int = DESCRIPTION_WIDTH) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[:width - 1].rstrip() + "…"


def registry_rows(family: str | None = None) -> list[dict]:
    rows = []
    for spec in list_tasks(family):
        level = spec.params.get("level", "")
        if spec.params.get("collection"):
            level = f"{level}:{spec.params['collection']}"
        rows.append({
            "task": spec.name, "family": spec.family, "data": data_source(spec),
            "description": one_line(spec.description), "upstream": spec.upstream_id or "",
            "level": level, "split": spec.split.get("scheme", ""), "domain": spec.domain or "",
            "label": spec.label.get("column", ""), "metric": f"{spec.metric['name']}:{spec.metric['primary']}",
        })
    return rows


def cmd_list(args) -> int:
    rows = registry_rows(args.family)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(format_table(rows, ["task", "family", "data", "metric", "description"]))
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
