"""The model-file declarations (datamech.schema): validation, agreement with the readers,
JSON Schemas and templates (issue 15 items 1 and 3)."""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

import datamech as dm
from datamech.errors import ModelError
from datamech.schema import FILES, KINDS, LAWS, VALUATIONS, declaration, validate
from datamech.schema.json_schema import json_schema
from datamech.schema.templates import template

EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples", "models").glob("*.toml"))


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_validates(path):
    data = _read(path)
    validate(data["model"]["kind"], data)


def test_every_kind_is_declared():
    from datamech.models.io import KIND_MODULES

    assert set(KINDS) == set(KIND_MODULES)
    assert {d.kind for d in FILES.values()} == set(KINDS)


@pytest.mark.parametrize(
    "data, field, words",
    [
        # an unknown key deep inside a table the reader never lists
        (
            {"model": {"kind": "offline", "alpha": 0.5, "cost": 1},
             "buyers": [{"family": "uniform", "low": 0, "high": 1, "hihg": 2}]},
            "buyers[0].hihg", "unknown key",
        ),
        # a list where a name belongs
        (
            {"model": {"kind": "offline", "alpha": 0.5, "cost": 1},
             "buyers": [{"family": ["uniform"], "low": 0, "high": 1}]},
            "buyers[0].family", "must be a string, got a list",
        ),
        # a boolean where a number belongs
        (
            {"model": {"kind": "online", "alpha": 0.5, "cost": True},
             "buyers": [{"family": "uniform", "low": 0, "high": 1}]},
            "model.cost", "boolean",
        ),
        # a table where a list of numbers belongs
        (
            {"model": {"kind": "chain", "n": 1, "values": {"a": 1}, "transition": [[1]],
                       "start": 0}},
            "model.values", "",
        ),
        # every missing key of a table in one message
        (
            {"model": {"kind": "psp", "epsilon": 0.1}, "sellers": [{"name": "s"}],
             "buyers": [{"name": "b", "valuation": {"family": "log"}}]},
            "sellers[0].supply", "is required",
        ),
    ],
)  # fmt: skip
def test_bad_files_name_the_field(data, field, words):
    with pytest.raises(ModelError) as exc:
        validate(data["model"]["kind"], data)
    assert exc.value.field == field
    assert words in exc.value.problem


def test_all_missing_keys_reported_at_once():
    data = {"model": {"kind": "psp", "epsilon": 0.1}, "sellers": [{"supply": 1}],
            "buyers": [{"valuation": {"family": "quadratic"}}]}  # fmt: skip
    with pytest.raises(ModelError) as exc:
        validate("psp", data)
    assert str(exc.value) == "buyers[0].valuation: missing required keys kappa, qbar"


def test_load_validates_through_the_declaration():
    """dm.load refuses a key no reader looks at, naming its path."""
    data = _read(Path("examples/models/offline_u2.toml"))
    data["buyers"][0]["colour"] = "red"
    with pytest.raises(ModelError) as exc:
        dm.models.io.from_dict(data)
    assert exc.value.field == "buyers[0].colour"


def test_reader_message_wins_when_both_refuse():
    """Both refuse two tie rules; the reader words it (it knows one is an old name)."""
    data = _read(Path("examples/models/psp_elastic.toml"))
    data["model"].update(tie_rule="strict", tie_break="strict")
    with pytest.raises(ModelError) as exc:
        dm.models.io.from_dict(data)
    assert str(exc.value) == "model.tie_rule: is given twice (also as 'tie_break')"


def test_declaration_refuses_what_a_lenient_reader_lets_through(monkeypatch):
    """A reader that accepts anything (or crashes) cannot let a bad file through."""
    from datamech.models import io

    io._ensure_registered("offline")  # noqa: SLF001 - the registry under test
    data = _read(Path("examples/models/offline_u2.toml"))
    monkeypatch.setitem(io._READERS, "offline", lambda d: "model")  # noqa: SLF001
    assert io.from_dict(data) == "model"
    data["buyers"][0]["colour"] = "red"
    with pytest.raises(ModelError, match=r"^buyers\[0\]\.colour: unknown key"):
        io.from_dict(data)

    def crash(d):
        raise TypeError("unhashable type: 'list'")

    monkeypatch.setitem(io._READERS, "offline", crash)  # noqa: SLF001
    data["buyers"][0].pop("colour")
    data["buyers"][0]["family"] = ["uniform"]
    with pytest.raises(ModelError) as exc:
        io.from_dict(data)
    assert str(exc.value) == "buyers[0].family: must be a string, got a list"


def test_chain_forms():
    assert declaration("chain", {"model": {"support": [0, 1]}}).name == "chain_continuous"
    assert declaration("chain", {"model": {"values": [0, 1]}}).name == "chain"
    with pytest.raises(ModelError, match="unknown kind"):
        declaration("chian")


# ------------------------------------------- declarations agree with the readers
def test_law_families_agree_with_the_reader():
    from datamech.models.distributions import reading, tables

    families = set(getattr(tables, "FAMILIES", LAWS.names()))
    assert set(LAWS.names()) == families
    from datamech.schema import families as decl

    assert decl.RATE_RANGE == reading.RATE_RANGE
    assert decl.PARETO_SHAPE_RANGE == reading.PARETO_SHAPE_RANGE
    assert decl.POWER_SHAPE_RANGE == reading.POWER_SHAPE_RANGE
    assert decl.MAX_TYPE == reading.MAX_VALUE


def test_valuation_families_agree_with_the_reader():
    from datamech.models import psp_valuations

    assert VALUATIONS.names() == list(psp_valuations.FAMILIES)
    from datamech.schema.families import PSP_MAX

    assert PSP_MAX == psp_valuations.MAX_VALUE


def test_mechanism_names_agree_with_the_reader():
    from datamech.models.mechanism import schema as reader
    from datamech.schema import mechanism as decl

    for name in ("PRESETS", "OBJECTIVES", "IC", "IR", "BUDGETS", "VALUATIONS", "MAX_CELLS",
                 "MAX_AGENTS", "MAX_ITEMS"):  # fmt: skip
        assert getattr(decl, name) == getattr(reader, name), name
    assert decl.ROLES is reader.ROLES


def test_psp_names_agree_with_the_reader():
    from datamech.models import psp as reader
    from datamech.schema import psp as decl

    model = decl.PSP.root.key("model").type
    assert set(model.names()) == reader._MODEL_KEYS  # noqa: SLF001
    assert tuple(decl.TIE_BREAKS) == tuple(reader.TIE_BREAKS)
    assert tuple(decl.SCHEDULES) == tuple(reader.SCHEDULES)


# ------------------------------------------------------------------ JSON Schema
def _check(schema: dict, value: Any, root: dict, where: str = "$") -> list[str]:
    """A small JSON Schema (2020-12) checker for the keywords the declarations emit, used
    when the jsonschema package is not installed."""
    errs: list[str] = []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return _check(root["$defs"][name], value, root, where)
    t = schema.get("type")
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool}
    if t == "number" and not (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return [f"{where}: not a number"]
    if t == "integer" and not (
        isinstance(value, int)
        and not isinstance(value, bool)
        or isinstance(value, float)
        and value.is_integer()
    ):
        return [f"{where}: not an integer"]
    if t in kinds and not isinstance(value, kinds[t]):
        return [f"{where}: not {t}"]
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{where}: not in enum")
    if "const" in schema and value != schema["const"]:
        errs.append(f"{where}: not const")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errs.append(f"{where}: pattern")
    for bound, ok in (("minimum", lambda v, b: v >= b), ("maximum", lambda v, b: v <= b),
                      ("exclusiveMinimum", lambda v, b: v > b),
                      ("exclusiveMaximum", lambda v, b: v < b)):  # fmt: skip
        if bound in schema and isinstance(value, (int, float)) and not ok(value, schema[bound]):
            errs.append(f"{where}: {bound}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in value:
                errs.append(f"{where}.{k}: required")
        for k, v in value.items():
            if k in props:
                errs += _check(props[k], v, root, f"{where}.{k}")
            elif schema.get("additionalProperties") is False:
                errs.append(f"{where}.{k}: additional")
    if isinstance(value, list):
        prefix = schema.get("prefixItems", [])
        for i, v in enumerate(value):
            sub = prefix[i] if i < len(prefix) else schema.get("items")
            if sub is not None:
                errs += _check(sub, v, root, f"{where}[{i}]")
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 1e18):
            errs.append(f"{where}: items")
    for sub in schema.get("allOf", []):
        errs += _check(sub, value, root, where)
    if "anyOf" in schema and not any(not _check(s, value, root, where) for s in schema["anyOf"]):
        errs.append(f"{where}: anyOf")
    if "oneOf" in schema and sum(not _check(s, value, root, where) for s in schema["oneOf"]) != 1:
        errs.append(f"{where}: oneOf")
    if "not" in schema and not _check(schema["not"], value, root, where):
        errs.append(f"{where}: not")
    if "if" in schema:
        branch = "then" if not _check(schema["if"], value, root, where) else "else"
        if branch in schema:
            errs += _check(schema[branch], value, root, where)
    return errs


@functools.cache
def _schema(kind: str) -> dict:
    return json_schema(kind)


def _errors(schema: dict, data: dict) -> list[str]:
    """The errors of ``data`` by the jsonschema package when installed, else by _check."""
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - the fallback checker
        return _check(schema, data, schema)
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]


@pytest.mark.parametrize("kind", [*KINDS, "chain_continuous"])
def test_json_schemas_are_draft_2020_12(kind):
    jsonschema = pytest.importorskip("jsonschema")
    schema = _schema(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_validates_against_its_json_schema(path):
    data = _read(path)
    schema = _schema(data["model"]["kind"])
    assert _errors(schema, data) == []
    assert _check(schema, data, schema) == []


@pytest.mark.parametrize("kind", KINDS)
def test_json_schema_refuses_unknown_keys_and_bad_names(kind):
    schema = _schema(kind)
    example = FILES[kind].example
    bad = {**example, "model": {**example["model"], "colour": 1}}
    assert _errors(schema, bad) and _check(schema, bad, schema)
    bad = {**example, "model": {**example["model"], "kind": ["x"]}}
    assert _errors(schema, bad) and _check(schema, bad, schema)


def test_json_schema_of_an_unknown_kind():
    with pytest.raises(ModelError, match="unknown kind 'chian'"):
        json_schema("chian")


def test_json_schema_chooses_the_chain_form():
    cont = FILES["chain_continuous"].example
    assert _errors(_schema("chain"), cont) == []
    assert _errors(_schema("chain_continuous"), FILES["chain"].example)


# ------------------------------------------------------------------ templates
@pytest.mark.parametrize("name", list(FILES))
def test_template_is_valid_and_lists_every_key(name):
    text = template(name)
    data = tomllib.loads(text)
    decl = FILES[name]
    validate(decl.kind, data)
    assert declaration(decl.kind, data).name == name
    for table in ("model",):
        for key in decl.root.key(table).type.keys:
            if not key.deprecated:
                assert re.search(rf"^(# )?{key.name} = ", text, re.M), key.name
    for line in text.splitlines():
        assert len(line) <= 100 or line.startswith("#  "), line


def test_template_of_an_unknown_kind():
    with pytest.raises(ModelError) as exc:
        template("ofline")
    assert exc.value.field == "kind"
    assert "chain_continuous" in exc.value.problem
