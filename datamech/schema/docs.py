"""``docs/model-files.md``, the model-file reference, generated from the declarations.

Run ``python -m datamech.schema.docs`` to rewrite it (``--check`` exits 1 when the file
is not current; ``tests/test_schema_docs.py`` does the same in CI).  One section per
kind: its meaning, every key of every table (type, default, allowed values or range,
meaning, the paper's symbol), its ``[solver]`` options and a minimal example; then the
shared families (type laws, PSP valuations, chain kernels), each with an example.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .families import KERNELS, LAWS, VALUATIONS
from .registry import FILES
from .tables import ByKey, ByPath, Key, ModelFile, Table, TableArray, Tagged
from .toml_text import dumps_toml, toml_value
from .values import ListOf, OneOf, Type

__all__ = ["DEFAULT_PATH", "Row", "key_rows", "main", "reference"]

DEFAULT_PATH = Path("docs/model-files.md")

#: The shared families: (section title, anchor, family, what it is).
SHARED: tuple[tuple[str, str, Tagged, str], ...] = (
    (
        "Type laws",
        "type-laws",
        LAWS,
        "The laws of private types (values, costs) wherever a file draws one: `[[buyers]]` "
        "of offline and online, `[buyer]` and `[seller]` of bilateral, `[buyer]` / "
        "`[[buyers]]` of infosale, `[[agents]]` of mechanism "
        "(`datamech.models.distributions`).  A law is a table with `family` and its "
        'parameters.  Numbers are ints, floats or exact `"p/q"` strings; types, bounds '
        "and scales lie in [0, 1e12].",
    ),
    (
        "PSP valuations",
        "psp-valuations",
        VALUATIONS,
        "The buyers' valuations θ_i(z) of the data z they get (kind psp, "
        "`[buyers.valuation]`; the PSP draft, Definition 1.2, "
        "`datamech.models.psp_valuations`): concave, nondecreasing, θ(0) = 0.  Parameters "
        "lie in [0, 1e9].",
    ),
    (
        "Chain kernels",
        "chain-kernels",
        KERNELS,
        "The conditional laws f_i(v | w) of the continuous resale chain (`model.kernel`; "
        '"Incentivizing Data Trading via Profit Reallocation", Section 3.3, '
        "`datamech.models.chain_continuous`), on the support [L0, H0].",
    ),
)
#: How each shared family's example sits in a file.
_WRAP: dict[str, Callable[[Any], dict[str, Any]]] = {
    "type-laws": lambda law: {"buyer": law},
    "psp-valuations": lambda v: {"buyers": [{"name": "b1", "valuation": v}]},
    "chain-kernels": lambda k: {"model": {"kernel": k}},
}
_ANCHORS_BY_REF = {fam.ref: anchor for _, anchor, fam, _ in SHARED}
_ANCHORS_BY_REF["law_component"] = "type-laws"


#: One row of a key table: path, type, default, allowed, meaning, symbol.
Row = tuple[str, str, str, str, str, str]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _shared_anchor(typ: Type) -> str:
    """The section of the shared family ``typ`` is (or lists), else ""."""
    if isinstance(typ, Tagged):
        if typ.ref in _ANCHORS_BY_REF:
            return _ANCHORS_BY_REF[typ.ref]
        if set(typ.names()) <= set(LAWS.names()):
            return "type-laws"
    if isinstance(typ, (OneOf,)):
        return next((a for a in map(_shared_anchor, typ.options) if a), "")
    if isinstance(typ, (ListOf, TableArray)):
        return _shared_anchor(typ.item)
    return ""


def _type_text(typ: Type) -> str:
    anchor = _shared_anchor(typ)
    if isinstance(typ, Tagged) and anchor:
        return f"{typ.title} ([{anchor.replace('-', ' ')}](#{anchor}))"
    if isinstance(typ, TableArray) and anchor:
        return f"array of {typ.item.title}s ([{anchor.replace('-', ' ')}](#{anchor}))"
    if isinstance(typ, OneOf) and anchor:
        return f"{typ.label} ([{anchor.replace('-', ' ')}](#{anchor}))"
    return typ.label


def _default_text(key: Key) -> str:
    if key.required:
        return "required"
    if key.has_default():
        return f"`{toml_value(key.default)}`"
    return key.default_text or "—"


def _allowed_text(typ: Type) -> str:
    if isinstance(typ, Tagged) and _shared_anchor(typ):
        return f"{typ.tag} = " + ", ".join(f"`{n}`" for n in typ.names())
    return typ.constraint()


def _common_keys(typ: Tagged) -> tuple[Key, ...]:
    """The keys every variant of ``typ`` has that its shared family does not (an agent's
    ``name`` beside its law)."""
    family = {k.name for _, t in LAWS.variants for k in t.keys}
    first = typ.variants[0][1].keys
    return tuple(
        k
        for k in first
        if k.name not in family and all(k.name in t.names() for _, t in typ.variants)
    )


def key_rows(table: Table, path: str = "", when: str = "") -> Iterator[Row]:
    """The rows of every key under ``table`` (nested tables expanded, shared families
    linked), paths written ``model.alpha``, ``buyers[].family``."""
    for key in table.keys:
        full = f"{path}.{key.name}" if path else key.name
        meaning = key.meaning
        notes = [n for n in (when, key.note) if n]
        if key.deprecated:
            notes.append(f"deprecated name of {key.deprecated}")
        if notes:
            meaning += f" ({'; '.join(notes)})"
        yield (
            full,
            _type_text(key.type),
            _default_text(key),
            _allowed_text(key.type),
            meaning,
            key.symbol,
        )
        yield from _nested_rows(key.type, full)


def _nested_rows(typ: Type, path: str, when: str = "") -> Iterator[Row]:
    if _shared_anchor(typ) and not (isinstance(typ, Tagged) and _common_keys(typ)):
        return
    if isinstance(typ, Table) and not typ.open:
        yield from key_rows(typ, path, when)
    elif isinstance(typ, TableArray):
        yield from _nested_rows(typ.item, f"{path}[]", when)
    elif isinstance(typ, Tagged):
        anchor = _shared_anchor(typ)
        tag = f"{path}.{typ.tag}"
        if anchor:  # a shared law with extra keys: list those
            link = f"[{anchor.replace('-', ' ')}](#{anchor})"
            yield (tag, f"string ({link})", "required", ", ".join(typ.names()),
                   f"the {typ.title}'s family, with its parameters beside it ({link})"
                   + (f" ({when})" if when else ""), "")  # fmt: skip
            yield from key_rows(Table(_common_keys(typ)), path, when)
            return
        yield (tag, "string", "required", " | ".join(typ.names()),
               f"which {typ.title}; the keys below depend on it" + (f" ({when})" if when else ""),
               "")  # fmt: skip
        for name, variant in typ.variants:
            cond = f"{typ.tag} = {name!r}".replace("'", '"')
            yield from key_rows(variant, path, "; ".join(x for x in (when, cond) if x))
    elif isinstance(typ, ByKey):
        for key, case in typ.cases:
            yield from _nested_rows(case, path, "; ".join(x for x in (when, f"with {key}") if x))
        yield from _nested_rows(typ.default, path, "; ".join(x for x in (when, "otherwise") if x))
    elif isinstance(typ, ByPath):
        where = ".".join(typ.path)
        for name, case in typ.cases:
            cond = f'{where} = "{name}"'
            yield from _nested_rows(case, path, "; ".join(x for x in (when, cond) if x))


def _key_table(rows: list[Row]) -> list[str]:
    out = [
        "| key | type | default | allowed | meaning | symbol |",
        "|---|---|---|---|---|---|",
    ]
    for path, typ, default, allowed, meaning, symbol in _dedupe(rows):
        cells = (f"`{path}`", typ, default, allowed, meaning, symbol)
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return out


def _dedupe(rows: list[Row]) -> list[Row]:
    """Rows with the same path, type, default and range once: a key several cases share
    is listed once, without the cases' conditions."""
    seen: dict[tuple[str, str, str, str], int] = {}
    out: list[Row] = []
    for row in rows:
        ident = (row[0], row[1], row[2], row[3])
        if ident not in seen:
            seen[ident] = len(out)
            out.append(row)
        elif out[seen[ident]][4] != row[4]:
            first = out[seen[ident]]
            base = first[4].rsplit(" (", 1)[0] if first[4].endswith(")") else first[4]
            out[seen[ident]] = (*first[:4], base, first[5])
    return out


def _toml_block(data: Any) -> list[str]:
    return ["```toml", dumps_toml(data).rstrip("\n"), "```"]


def _kind_section(decl: ModelFile, options: Callable[[str], list[str]] | None) -> list[str]:
    out = [f"## {decl.name}: {decl.title}", "", decl.meaning, ""]
    if decl.when:
        out += [
            f"This form applies when the file has `{'.'.join(decl.when)}`.",
            "",
        ]
    out += [
        f"Template: `datamech new {decl.name}`; JSON Schema: `datamech schema {decl.name}`.",
        "",
    ]
    out += _key_table(list(key_rows(decl.root)))
    if decl.root.constraint():
        out += ["", f"The file takes {decl.root.constraint()}."]
    if options is not None:
        rows = options(decl.kind)
        if rows:
            out += ["", f"`[solver]` options (`datamech options {decl.kind}`):", "", *rows]
    out += ["", "Minimal example:", "", *_toml_block(decl.example), ""]
    return out


def _family_section(title: str, anchor: str, family: Tagged, what: str) -> list[str]:
    out = [f"## {title}", "", what, ""]
    for name, table in family.variants:
        out += [f'### {family.tag} = "{name}"', "", table.meaning, ""]
        out += _key_table(list(key_rows(family.variant(name))))
        if table.constraint():
            out += ["", f"Give {table.constraint()}."]
        if table.example is not None:
            out += ["", *_toml_block(_WRAP[anchor](table.example))]
        out.append("")
    return out


def solver_option_lines(kind: str) -> list[str]:
    """The kind's ``[solver]`` options as a Markdown table (imports its solvers)."""
    from ..solvers import options_for

    spec = options_for(kind)
    if spec is None:
        return []
    out = ["| option | type | default | meaning |", "|---|---|---|---|"]
    for opt in spec.all:
        if opt.name == "method":
            meaning = "; ".join(f"`{m}`: {t}" for m, t in spec.methods.items())
        else:
            meaning = opt.help
            if opt.choices:
                meaning += f" (values: {', '.join(f'`{c}`' for c in opt.choices)})"
            if opt.low is not None or opt.high is not None:
                lo = "-inf" if opt.low is None else f"{opt.low:g}"
                hi = "inf" if opt.high is None else f"{opt.high:g}"
                meaning += f" (range [{lo}, {hi}])"
            if opt.methods:
                meaning += f" (methods: {', '.join(opt.methods)})"
            if opt.deprecated:
                meaning += f" (old names: {', '.join(opt.deprecated)})"
        default = "solver decides" if opt.default is None else f"`{opt.default!r}`"
        out.append("| " + " | ".join(_cell(c) for c in (f"`{opt.name}`", opt.type,
                                                          default, meaning)) + " |")  # fmt: skip
    return out


def reference(options: Callable[[str], list[str]] | None = solver_option_lines) -> str:
    """The text of ``docs/model-files.md``."""
    out = [
        "# Model files",
        "",
        "<!-- Generated by `python -m datamech.schema.docs` from the declarations in "
        "datamech/schema/; do not edit by hand (tests/test_schema_docs.py checks it is "
        "current). -->",
        "",
        "A model file is a TOML file with a `[model]` table whose `kind` says what it "
        "describes; `datamech solve FILE` solves it and `datamech.load(FILE)` reads it.  "
        "`datamech new KIND FILE` writes a commented template of a kind that solves as "
        "written, `datamech new --list` lists the kinds, and `datamech schema KIND` prints "
        "a JSON Schema (draft 2020-12) of its files for editors.  Every file is checked "
        "against the declarations below when it is read: an unknown key, a missing key, a "
        "value of the wrong type or outside its range is refused with the key's path "
        "(`buyers[0].rate`).",
        "",
        'Numbers are integers, floats or strings holding an exact rational (`"1/3"`, '
        '`"0.25"`), mixed freely; booleans, NaN and infinities are not numbers (`inf` '
        "only where a key says so).  Key paths: `model.alpha` is key `alpha` of table "
        "`[model]`; `buyers[].family` is key `family` of each `[[buyers]]` table.  Every "
        "kind takes a `[solver]` table of options (`datamech options KIND`), overridden by "
        "the command line's flags and `dm.solve` keywords.",
        "",
        "Kinds:",
        "",
    ]
    for name, decl in FILES.items():
        out.append(f"- [{name}](#{_anchor(decl)}): {decl.summary}")
    out += ["", "Shared families:", ""]
    for title, anchor, _, _ in SHARED:
        out.append(f"- [{title}](#{anchor})")
    out.append("")
    for decl in FILES.values():
        out += _kind_section(decl, options)
    for entry in SHARED:
        out += _family_section(*entry)
    return "\n".join(out).rstrip("\n") + "\n"


def _anchor(decl: ModelFile) -> str:
    """GitHub's anchor of the section heading of ``decl``."""
    heading = f"{decl.name}: {decl.title}".lower()
    kept = "".join(c for c in heading if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def main(argv: list[str] | None = None) -> int:
    """Write (or ``--check``) the reference; the exit code is 1 when it is stale."""
    p = argparse.ArgumentParser(prog="python -m datamech.schema.docs", description=__doc__)
    p.add_argument("--output", type=Path, default=DEFAULT_PATH)
    p.add_argument("--check", action="store_true", help="exit 1 if the file is not current")
    args = p.parse_args(argv)
    text = reference()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is not current: run python -m datamech.schema.docs",
                  file=sys.stderr)  # fmt: skip
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
