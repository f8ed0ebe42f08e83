"""A small JSON Schema checker for structured LLM output (``response_format: json_schema``).

Supports the subset structured-output providers accept: ``type`` (one or a list),
``properties``, ``required``, ``additionalProperties`` (bool or schema), ``items``,
``minItems``/``maxItems``, ``uniqueItems``, ``enum``, ``const``, ``minimum``/``maximum``,
``exclusiveMinimum``/``exclusiveMaximum``, ``multipleOf``, ``minLength``/``maxLength``,
``format`` (not enforced), ``anyOf``/``oneOf``/``allOf``, local ``$ref`` into ``$defs`` /
``definitions``, and annotations (``title``, ``description``, ``default``, ``examples``, ...).

:func:`check_schema` names the first keyword outside that subset (SchemaError);
:func:`validate` lists where an instance breaks the schema (empty: valid).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["SchemaError", "check_schema", "validate", "resolve_ref", "SUPPORTED"]

TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")
ANNOTATIONS = {
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "format",
    "$defs",
    "definitions",
}
SUPPORTED = ANNOTATIONS | {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "anyOf",
    "oneOf",
    "allOf",
    "$ref",
}
MAX_DEPTH = 32


class SchemaError(ValueError):
    """A schema this checker cannot use (message names the keyword and where it is)."""


def resolve_ref(ref: Any, root: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(ref, str) or not ref.startswith("#/"):
        raise SchemaError(f"only local references like '#/$defs/Name' are supported, not {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise SchemaError(f"the reference {ref!r} points nowhere in the schema")
        node = node[part]
    if not isinstance(node, (dict, bool)):
        raise SchemaError(f"the reference {ref!r} does not point to a schema")
    return node if isinstance(node, dict) else ({} if node else {"not": {}})


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_schema(schema: Any, root: Any = None, where: str = "#", depth: int = 0) -> None:
    """Raise SchemaError unless ``schema`` stays inside the supported subset."""
    root = schema if root is None else root
    if depth > MAX_DEPTH:
        raise SchemaError(f"the schema nests deeper than {MAX_DEPTH} levels at {where}")
    if isinstance(schema, bool):
        if not schema:
            raise SchemaError(f"the schema at {where} is 'false': no value can match it")
        return
    if not isinstance(schema, dict):
        raise SchemaError(f"the schema at {where} must be an object, not {type(schema).__name__}")
    unknown = sorted(k for k in schema if k not in SUPPORTED)
    if unknown:
        raise SchemaError(
            f"the keyword {unknown[0]!r} at {where} is not supported by this model's structured output "
            f"(supported: type, properties, required, additionalProperties, items, enum, const, anyOf, "
            f"oneOf, allOf, $ref, and the numeric, length and item-count bounds)"
        )
    t = schema.get("type")
    for one in t if isinstance(t, list) else ([t] if t is not None else []):
        if one not in TYPES:
            raise SchemaError(f"'type' at {where} must be one of {', '.join(TYPES)}, not {one!r}")
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        raise SchemaError(f"'enum' at {where} must be a non-empty array")
    if "required" in schema and (
        not isinstance(schema["required"], list) or not all(isinstance(r, str) for r in schema["required"])
    ):
        raise SchemaError(f"'required' at {where} must be an array of property names")
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        raise SchemaError(f"'properties' at {where} must be an object")
    for name in schema.get("required") or []:
        if name not in props and schema.get("additionalProperties") is False:
            raise SchemaError(f"{where} requires {name!r} but allows no such property")
    for name, sub in props.items():
        check_schema(sub, root, f"{where}/properties/{name}", depth + 1)
    ap = schema.get("additionalProperties")
    if isinstance(ap, dict):
        check_schema(ap, root, f"{where}/additionalProperties", depth + 1)
    if "items" in schema:
        if not isinstance(schema["items"], (dict, bool)):
            raise SchemaError(f"'items' at {where} must be one schema (tuple forms are not supported)")
        check_schema(schema["items"], root, f"{where}/items", depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            if not isinstance(schema[key], list) or not schema[key]:
                raise SchemaError(f"'{key}' at {where} must be a non-empty array of schemas")
            for i, sub in enumerate(schema[key]):
                check_schema(sub, root, f"{where}/{key}/{i}", depth + 1)
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        if key in schema and not _is_num(schema[key]):
            raise SchemaError(f"'{key}' at {where} must be a number")
    if "multipleOf" in schema and schema["multipleOf"] <= 0:
        raise SchemaError(f"'multipleOf' at {where} must be more than 0")
    for key in ("minLength", "maxLength", "minItems", "maxItems"):
        if key in schema and (isinstance(schema[key], bool) or not isinstance(schema[key], int) or schema[key] < 0):
            raise SchemaError(f"'{key}' at {where} must be a whole number of 0 or more")
    for lo, hi in (("minLength", "maxLength"), ("minItems", "maxItems"), ("minimum", "maximum")):
        if lo in schema and hi in schema and schema[lo] > schema[hi]:
            raise SchemaError(f"{where} has {lo} {schema[lo]} above {hi} {schema[hi]}: no value fits")
    for key in ("$defs", "definitions"):
        defs = schema.get(key)
        if defs is not None:
            if not isinstance(defs, dict):
                raise SchemaError(f"'{key}' at {where} must be an object of schemas")
            for name, sub in defs.items():
                check_schema(sub, root, f"{where}/{key}/{name}", depth + 1)
    if "$ref" in schema:
        resolve_ref(schema["$ref"], root)


def _type_ok(value: Any, t: str) -> bool:
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t == "integer":
        return _is_num(value) and float(value).is_integer()
    if t == "number":
        return _is_num(value) and math.isfinite(value)
    if t == "boolean":
        return isinstance(value, bool)
    return value is None


def validate(instance: Any, schema: Any, root: Any = None, where: str = "$", depth: int = 0) -> list[str]:
    """Where ``instance`` breaks ``schema`` (one line per problem); [] when it is valid."""
    root = schema if root is None else root
    if depth > MAX_DEPTH * 2:
        return [f"{where}: nested too deeply"]
    if schema is True or schema == {}:
        return []
    if schema is False:
        return [f"{where}: no value is allowed here"]
    errs: list[str] = []
    if "$ref" in schema:
        errs += validate(instance, resolve_ref(schema["$ref"], root), root, where, depth + 1)
    t = schema.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        if not any(_type_ok(instance, x) for x in types):
            return errs + [f"{where}: expected {' or '.join(types)}, got {type(instance).__name__}"]
    if "const" in schema and instance != schema["const"]:
        errs.append(f"{where}: must be {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        errs.append(f"{where}: must be one of {schema['enum']!r}")
    if _is_num(instance):
        if "minimum" in schema and instance < schema["minimum"]:
            errs.append(f"{where}: below the minimum {schema['minimum']}")
        if "maximum" in schema and instance > schema["maximum"]:
            errs.append(f"{where}: above the maximum {schema['maximum']}")
        if "exclusiveMinimum" in schema and instance <= schema["exclusiveMinimum"]:
            errs.append(f"{where}: must be above {schema['exclusiveMinimum']}")
        if "exclusiveMaximum" in schema and instance >= schema["exclusiveMaximum"]:
            errs.append(f"{where}: must be below {schema['exclusiveMaximum']}")
        if "multipleOf" in schema:
            q = instance / schema["multipleOf"]
            if abs(q - round(q)) > 1e-9:
                errs.append(f"{where}: not a multiple of {schema['multipleOf']}")
    if isinstance(instance, str):
        if len(instance) < schema.get("minLength", 0):
            errs.append(f"{where}: shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(instance) > schema["maxLength"]:
            errs.append(f"{where}: longer than {schema['maxLength']} characters")
    if isinstance(instance, list):
        if len(instance) < schema.get("minItems", 0):
            errs.append(f"{where}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(instance) > schema["maxItems"]:
            errs.append(f"{where}: more than {schema['maxItems']} items")
        if schema.get("uniqueItems"):
            seen: list[Any] = []
            for item in instance:
                if item in seen:
                    errs.append(f"{where}: items are not unique")
                    break
                seen.append(item)
        if "items" in schema:
            for i, item in enumerate(instance):
                errs += validate(item, schema["items"], root, f"{where}[{i}]", depth + 1)
    if isinstance(instance, dict):
        props = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in instance:
                errs.append(f"{where}: missing the required property {name!r}")
        ap = schema.get("additionalProperties", True)
        for key, value in instance.items():
            if key in props:
                errs += validate(value, props[key], root, f"{where}.{key}", depth + 1)
            elif ap is False:
                errs.append(f"{where}: property {key!r} is not allowed")
            elif isinstance(ap, dict):
                errs += validate(value, ap, root, f"{where}.{key}", depth + 1)
    for sub in schema.get("allOf") or []:
        errs += validate(instance, sub, root, where, depth + 1)
    if "anyOf" in schema and not any(not validate(instance, s, root, where, depth + 1) for s in schema["anyOf"]):
        errs.append(f"{where}: matches none of the anyOf schemas")
    if "oneOf" in schema:
        n = sum(1 for s in schema["oneOf"] if not validate(instance, s, root, where, depth + 1))
        if n != 1:
            errs.append(f"{where}: matches {n} of the oneOf schemas (exactly one is required)")
    return errs
