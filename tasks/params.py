"""Typed task ``params``: one dataclass per family, checked when the registry loads a YAML file.

A family declares its ``params:`` keys as a frozen dataclass deriving from :class:`Params`
(``bench.tasks.<family>.Params``). :meth:`Params.from_mapping` refuses an unknown key or a value
of the wrong type with a :class:`BenchError` naming the YAML file and the key.

The object reads both ways: typed attributes (``spec.params.tissue``, the field default when the
YAML leaves it out) and the read-only mapping of the keys the YAML gave (``spec.params.get("tissue")``,
``"tissue" in spec.params``, ``{**spec.params}``), so a dict-shaped caller keeps working.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar

from bench.errors import BenchError, close_matches_hint


@dataclasses.dataclass(frozen=True)
class Params(Mapping):
    """Keys every family may set: ``config`` (the built config name, default the task name) and
    ``buildable_offline`` (False: ``bench build <family>`` skips the task)."""

    config: str | None = None
    buildable_offline: bool = True
    given: frozenset = dataclasses.field(default=frozenset(), repr=False, compare=False)

    family: ClassVar[str] = ""

    @classmethod
    def from_mapping(cls, data: Mapping | None, *, where: str) -> "Params":
        """Checked instance from a YAML ``params:`` mapping; ``where`` names the file in errors."""
        data = {} if data is None else data
        if isinstance(data, Params):
            data = dict(data)
        if not isinstance(data, Mapping):
            raise BenchError(f"{where}: field 'params' must be a mapping, got {type(data).__name__}", field="params")
        fields = cls.field_types()
        for key, value in data.items():
            if key not in fields:
                raise BenchError(f"{where}: unknown key params.{key} for a {cls.family or 'task'} task."
                                 f"{close_matches_hint(str(key), fields)} Known keys: {', '.join(sorted(fields))}",
                                 field=f"params.{key}")
            if not _matches(value, fields[key]):
                name, item, annotation = _first_mismatch(f"params.{key}", value, fields[key])
                raise BenchError(f"{where}: {name} must be {_type_text(annotation)}, got "
                                 f"{type(item).__name__} {item!r}", field=name)
        return cls(**dict(data), given=frozenset(data))

    @classmethod
    def field_types(cls) -> dict[str, Any]:
        """{key: annotation} of the YAML keys (``given`` excluded)."""
        hints = typing.get_type_hints(cls)
        return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.name != "given"}

    # the mapping view: only the keys the YAML gave, in field order
    def __getitem__(self, key: str) -> Any:
        if key not in self.given:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self):
        return (f.name for f in dataclasses.fields(self) if f.name in self.given)

    def __len__(self) -> int:
        return len(self.given)

    def to_dict(self) -> dict:
        """The keys the YAML gave, as a plain dict (JSON-ready)."""
        return {k: self[k] for k in self}


def _matches(value: Any, annotation: Any) -> bool:
    """Whether ``value`` fits ``annotation`` (str, int, float, bool, list[...], dict[...], X | None, Any)."""
    if annotation is Any:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is list:
        (item,) = typing.get_args(annotation) or (Any,)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if origin is dict:
        key, item = typing.get_args(annotation) or (Any, Any)
        return isinstance(value, dict) and all(_matches(k, key) and _matches(v, item) for k, v in value.items())
    return isinstance(value, annotation)


def _first_mismatch(name: str, value: Any, annotation: Any) -> tuple[str, Any, Any]:
    """(dotted name, value, annotation) of the innermost mapping entry of ``value`` that does not fit
    ``annotation`` (``params.synthetic.n_modules`` rather than ``params.synthetic``)."""
    options = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) else (annotation,)
    mapping = next((a for a in options if typing.get_origin(a) is dict), None)
    if isinstance(value, dict) and mapping is not None:
        _, item_type = typing.get_args(mapping) or (Any, Any)
        for key, item in value.items():
            if not _matches(item, item_type):
                return _first_mismatch(f"{name}.{key}", item, item_type)
    return name, value, annotation


def _type_text(annotation: Any) -> str:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return " or ".join(_type_text(a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", None) if not typing.get_args(annotation) else str(annotation)
