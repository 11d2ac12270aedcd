"""Config reading and validation shared by the Snakefile and the CLI.

:func:`read_yaml` refuses duplicate keys, syntax errors and empty files with one line naming
the file. Validation fills defaults from the JSON schema, then runs each enabled experiment's
cross-key checks (``Experiment.check``: limits a schema cannot state), and reports every
problem as one line naming the key path, e.g.
``config: custom.flow.epochs: 'ten' is not of type 'integer'``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import yaml

if TYPE_CHECKING:  # importlib.resources.abc is Python 3.11+
    from importlib.resources.abc import Traversable

# package data (pyproject.toml [tool.setuptools.package-data]): found in a checkout and in an
# installed wheel alike, whatever the working directory
SCHEMA_DIR: Traversable = files("plugen") / "schemas"


class ConfigError(ValueError):
    """A configuration file or mapping is invalid (message: one line per problem)."""


# ---------------------------------------------------------------------------- YAML
class _DuplicateKey(Exception):
    def __init__(self, key: object, first: int, second: int) -> None:
        self.key, self.first, self.second = key, first, second


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice (at any level)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise _DuplicateKey(key, seen[key], line)
                seen[key] = line
            except TypeError:  # an unhashable key: SafeLoader reports it
                pass
        return super().construct_mapping(node, deep)


def read_yaml(path: str | Path) -> dict:
    """Read a YAML config file whose top level is a mapping.

    Raises FileNotFoundError for a missing file and :class:`ConfigError` (one line naming the
    file) for a syntax error (with line and column), a key written twice in one mapping (with
    both lines), an empty file or a top level that is not a mapping.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such config file")
    try:
        with open(path) as fh:
            raw = yaml.load(fh, Loader=_UniqueKeyLoader)
    except _DuplicateKey as dup:
        raise ConfigError(
            f"{path}: key {dup.key!r} appears twice in one mapping (lines {dup.first} and "
            f"{dup.second})"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"{path}: YAML syntax error at {where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({type(exc).__name__})") from None
    if raw is None:
        raise ConfigError(f"{path}: empty config")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(raw).__name__}")
    return raw


# ---------------------------------------------------------------------------- cross-key checks
def cross_checks(config: Mapping[str, Any]) -> list[str]:
    """Problems (``"key.path: ..."``, each once) that the specs of the enabled experiments
    (``Experiment.check`` in :mod:`plugen.experiments`) find in a schema-valid, defaults-filled
    ``config``: limits involving two keys, and the user's files where an experiment reads any."""
    from plugen.experiments import check_config

    return list(dict.fromkeys(check_config(config)))


def _with_defaults(validator_class):
    validate_props = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for key, sub in properties.items():
                if "default" in sub and key not in instance:
                    instance[key] = json.loads(json.dumps(sub["default"]))
        yield from validate_props(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft202012Validator)


def load_schema(path: str | Path | None = None) -> dict:
    """Read a JSON schema; by default the whole config's: the packaged
    ``plugen/schemas/config.schema.json`` (the shared keys) plus one top-level section per
    experiment folder with a ``schema.json`` (:func:`plugen.experiments.config_sections`).

    A (sub)schema written as ``{"$ref": "<name>.schema.json", ...}`` is replaced by that file
    (next to the referring one, else among the shared schemas in ``plugen/schemas/``), its own
    keys (e.g. ``default``) taking precedence, so shared parts (the flow) are written once.
    """
    if path is not None:
        path = Path(path)
        return _read_schema(path.parent, path.name)
    from plugen.experiments import config_sections

    schema = _read_schema(SCHEMA_DIR, "config.schema.json")
    for name, section in config_sections().items():
        part = _inline_refs(json.loads(section.read_text()), section.parent)
        part.pop("$schema", None)
        schema["properties"][name] = {**part, "default": {}}
    return schema


def _read_schema(folder: Traversable, ref: str) -> dict:
    """The schema file ``ref`` (relative, ``/``-separated) of ``folder`` (or, when it is not
    there, of the shared ``plugen/schemas/``), references inlined."""
    *parts, name = ref.split("/")
    folder = folder.joinpath(*parts) if parts else folder
    if not (folder / name).is_file():
        folder = SCHEMA_DIR.joinpath(*parts) if parts else SCHEMA_DIR
    return _inline_refs(json.loads((folder / name).read_text()), folder)


def _inline_refs(node: Any, folder: Traversable) -> Any:
    if isinstance(node, list):
        return [_inline_refs(v, folder) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref", "")
    if isinstance(ref, str) and ref.endswith(".json"):
        part = _read_schema(folder, ref)
        part.pop("$schema", None)
        rest = {k: _inline_refs(v, folder) for k, v in node.items() if k != "$ref"}
        return {**part, **rest}
    return {k: _inline_refs(v, folder) for k, v in node.items()}


def _where(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


def validate_config(
    config: Mapping[str, Any],
    schema: dict | str | Path | None = None,
    source: str = "config",
) -> dict:
    """Validate ``config`` against ``schema``, fill defaults, run the experiments' cross-key
    checks (:func:`cross_checks`) and return the completed copy (keys sorted, so that rules'
    params do not depend on the order keys were written in).

    Raises :class:`ConfigError` listing every violation, one line each, prefixed by ``source``.
    """
    if not isinstance(schema, dict):
        schema = load_schema(schema)
    completed = json.loads(json.dumps(dict(config)))
    errors = sorted(_Validator(schema).iter_errors(completed), key=lambda e: list(e.path))
    if errors:
        lines = []
        for e in errors:
            if e.validator == "additionalProperties":
                extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
                lines.append(
                    f"{source}: {_where(e)}: unknown key(s) {extra}; allowed: "
                    f"{sorted(e.schema.get('properties', {}))}"
                )
            else:
                lines.append(f"{source}: {_where(e)}: {e.message}")
        raise ConfigError("\n".join(lines))
    problems = cross_checks(completed)
    if problems:
        raise ConfigError("\n".join(f"{source}: {p}" for p in problems))
    # canonical key order: the same settings written in another order are the same params
    return json.loads(json.dumps(completed, sort_keys=True))


def load_config(path: str | Path, schema: dict | str | Path | None = None) -> dict:
    """Read a YAML config file (:func:`read_yaml`) and validate it (defaults filled).

    Raises FileNotFoundError or :class:`ConfigError` (one line per problem, naming the file).
    """
    return validate_config(read_yaml(path), schema, source=str(path))


# ---------------------------------------------------------------------------- reference
def _type_of(node: Mapping[str, Any]) -> str:
    if "enum" in node:
        return " \\| ".join(json.dumps(v) for v in node["enum"])
    kind = node.get("type", "any")
    kind = " \\| ".join(kind) if isinstance(kind, list) else kind
    if kind == "array" and isinstance(node.get("items"), Mapping) and "type" in node["items"]:
        item = node["items"]["type"]
        kind = f"array of {' / '.join(item) if isinstance(item, list) else item}"
    return kind


def _rows(node: Mapping[str, Any], prefix: str) -> list[str]:
    rows = []
    for key, sub in node.get("properties", {}).items():
        path = f"{prefix}.{key}" if prefix else key
        if "properties" in sub and sub.get("type", "object") == "object":
            rows += _rows(sub, path)
            continue
        default = json.dumps(sub["default"]) if "default" in sub else ""
        text = " ".join(sub.get("description", "").split()).replace("|", "\\|")
        rows.append(
            f"| `{path}` | {_type_of(sub)} | `{default}` | {text} |"
            if default
            else f"| `{path}` | {_type_of(sub)} | | {text} |"
        )
    return rows


def config_reference(schema: dict | None = None) -> str:
    """Markdown describing every leaf key of the workflow config (``config/README.md``): one
    table per top-level section, a row per key with its type, default and description."""
    schema = load_schema() if schema is None else schema
    out = [
        "# Configuration reference",
        "",
        "Every key of the workflow config, its type, default and meaning, generated from the",
        "schemas (`plugen/schemas/` and each experiment folder's `schema.json`) by",
        "`plugen config-reference > config/README.md`. A config file sets only what differs",
        "from these defaults; `plugen validate-config FILE` checks one before any job.",
        "",
    ]
    top = {k: v for k, v in schema["properties"].items() if "properties" not in v}
    out += ["## Shared keys", "", "| key | type | default | meaning |", "|---|---|---|---|"]
    out += _rows({"properties": top}, "")
    for name, section in schema["properties"].items():
        if name in top:
            continue
        title = " ".join(section.get("description", "").split())
        out += ["", f"## `{name}`", ""] + ([title, ""] if title else [])
        out += ["| key | type | default | meaning |", "|---|---|---|---|"] + _rows(section, name)
    return "\n".join(out) + "\n"
