"""JSON-schema validation shared by the Snakefile and the CLI.

Validation fills defaults from the schema and reports every problem as one line naming the key
path, e.g. ``config: shapes_vae.flow.epochs: 'ten' is not of type 'integer'``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "config" / "schema"


class ConfigError(ValueError):
    """A configuration does not match its schema."""


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
    """Read a JSON schema (default: ``config/schema/config.schema.json``).

    A (sub)schema written as ``{"$ref": "<name>.schema.json", ...}`` is replaced by that file
    (next to the referring one), its own keys (e.g. ``default``) taking precedence, so each
    experiment keeps its own schema file and shared parts (the flow) are written once.
    """
    path = Path(path) if path else SCHEMA_DIR / "config.schema.json"
    with open(path) as fh:
        return _inline_refs(json.load(fh), path.parent)


def _inline_refs(node: Any, folder: Path) -> Any:
    if isinstance(node, list):
        return [_inline_refs(v, folder) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref", "")
    if isinstance(ref, str) and ref.endswith(".json"):
        part = load_schema(folder / ref)
        part.pop("$schema", None)
        rest = {k: _inline_refs(v, folder) for k, v in node.items() if k != "$ref"}
        return {**part, **rest}
    return {k: _inline_refs(v, folder) for k, v in node.items()}


def _where(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


def validate_config(
    config: Mapping[str, Any], schema: dict | str | Path | None = None, source: str = "config"
) -> dict:
    """Validate ``config`` against ``schema``, fill defaults, return the completed copy
    (keys sorted, so that rules' params do not depend on the order keys were written in).

    Raises :class:`ConfigError` listing every violation, one line each.
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
    # canonical key order: the same settings written in another order are the same params
    return json.loads(json.dumps(completed, sort_keys=True))


def load_config(path: str | Path, schema: dict | str | Path | None = None) -> dict:
    """Read a YAML config file and validate it (defaults filled)."""
    with open(path) as fh:
        raw = yaml.safe_load(fh) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return validate_config(raw, schema, source=str(path))
