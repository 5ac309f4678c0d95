"""Old verbs, kept hidden for one release (not listed in ``bench --help``): each prints the new form,
then does the same work (bench.commands.legacy, imported only when an old verb is used).

``evaluate-gta`` -> ``bench evaluate TASK OUTPUT_DIR``; ``evaluate-embedding`` -> ``bench evaluate TASK
EMB.npy --obs``; ``build-genotex`` and ``geometa build`` -> ``bench build``. ``geometa synth-archs4``
(write a synthetic ARCHS4-format test file) stays as a hidden tool.
"""
from __future__ import annotations

from bench.commands import seed_type

GENOTEX_PARTS = ("selection", "preprocessing", "analysis")
LEGACY = "bench.commands.legacy"


def register(sub) -> None:
    p = sub.add_parser("evaluate-gta")
    p.add_argument("--pred", required=True)
    p.add_argument("--ref", required=True)
    p.add_argument("--tasks", nargs="+", default=list(GENOTEX_PARTS), choices=list(GENOTEX_PARTS))
    p.add_argument("--subtasks", nargs="+", default=["gene", "clinical", "linked"], choices=["gene", "clinical", "linked"])
    p.add_argument("--compat", default="v2", choices=["v2", "legacy", "genomas", "bench"])
    p.add_argument("--task-info", default=None)
    p.add_argument("--json", dest="json_out", default=None)
    p.add_argument("--plot", default=None)
    p.set_defaults(handler=f"{LEGACY}:cmd_evaluate_gta")

    p = sub.add_parser("evaluate-embedding")
    p.add_argument("embedding")
    p.add_argument("--obs", required=True)
    p.add_argument("--label-key", required=True)
    p.add_argument("--batch-key", default=None)
    p.add_argument("--tasks", nargs="+", default=None)
    p.add_argument("--seed", type=seed_type, default=42)
    p.add_argument("--json", dest="json_out", default=None)
    p.set_defaults(handler=f"{LEGACY}:cmd_evaluate_embedding",
                   field_options={"labels": "--label-key", "batch": "--batch-key"})

    p = sub.add_parser("build-genotex")
    p.add_argument("--root", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--traits", nargs="*", default=None)
    p.set_defaults(handler=f"{LEGACY}:cmd_build_genotex")

    p = sub.add_parser("geometa")
    gsub = p.add_subparsers(dest="geometa_command", metavar="SUBCOMMAND")
    b = gsub.add_parser("build", help="old spelling of `bench build geometa_* --expression ...`")
    b.add_argument("tasks", nargs="*")
    b.add_argument("--out", required=True)
    b.add_argument("--data-dir", default=None)
    b.add_argument("--expression", default=None)
    b.add_argument("--seed", type=seed_type, default=0)
    b.set_defaults(handler=f"{LEGACY}:cmd_geometa_build")
    s = gsub.add_parser("synth-archs4", help="write a seeded synthetic ARCHS4-format .h5 for a label task")
    s.add_argument("task", help="a geometa task whose GSMs (and labels, for signal) go into the file")
    s.add_argument("--out", required=True, help="output .h5 path")
    s.add_argument("--data-dir", default=None)
    s.add_argument("--genes", type=int, default=2000)
    s.add_argument("--seed", type=seed_type, default=0)
    s.set_defaults(handler=f"{LEGACY}:cmd_synth")
    p.set_defaults(handler=lambda args: (p.print_help(), 2)[1])
