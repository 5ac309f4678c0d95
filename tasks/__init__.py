"""The task registry: one small YAML file per task under this folder (lm-evaluation-harness style).

Loaders, metrics, baselines and the CLI all read this one index.

>>> from bench.tasks import get_task
>>> spec = get_task("A6_eye_hallmark")
>>> spec.family, spec.params["level"], spec.params["collection"]
('genelab', 'pathway', 'hallmark')
"""
from bench.tasks.registry import (
    REQUIRED_KEYS,
    TaskPattern,
    TaskSpec,
    get_task,
    list_task_patterns,
    list_tasks,
    load_registry,
    resolve_task,
    split_name,
    task_dirs,
    TASKS_PATH_ENV,
)

__all__ = ["REQUIRED_KEYS", "TASKS_PATH_ENV", "TaskPattern", "TaskSpec", "get_task", "list_task_patterns",
           "list_tasks", "load_registry", "resolve_task", "split_name", "task_dirs"]
