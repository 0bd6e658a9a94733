"""What every model file accepts, declared once per kind (issue 15).

Each kind's file is declared with a small vocabulary (:mod:`.values`: numbers,
integers, booleans, names, choices, lists; :mod:`.tables`: keys, tables, arrays of
tables, tables chosen by a name such as ``family``), and the shared families once
(:mod:`.families`: type laws, PSP valuations, chain kernels).  From these
declarations come

* :func:`validate` -- the check :func:`datamech.load` runs before a kind's reader
  (unknown keys, missing keys, types, allowed values, ranges; ``ModelError`` naming the
  field);
* ``docs/model-files.md`` -- the reference (``python -m datamech.schema.docs``);
* ``datamech new KIND`` -- a commented template that solves as written
  (:mod:`.templates`);
* ``datamech schema KIND`` -- a JSON Schema of the file (:mod:`.json_schema`).

Examples
--------
>>> from datamech.schema import FILES, validate
>>> sorted(FILES)[:3]
['bilateral', 'chain', 'chain_continuous']
>>> validate("online", {"model": {"kind": "online", "alpha": "1/2", "cost": 1,
...                               "mechanism": "greedy", "grid": 8},
...                     "buyers": [{"family": "uniform", "low": 0, "high": 1}]})
Traceback (most recent call last):
...
datamech.errors.ModelError: model.grid: must be >= 16, got 8
"""

from .checks import check_choice, check_keys, check_name
from .families import KERNELS, LAWS, VALUATIONS
from .registry import FILES, KINDS, declaration, forms, validate
from .tables import NO_DEFAULT, ByKey, ByPath, Key, ModelFile, Table, TableArray, Tagged
from .values import (
    Boolean,
    Choice,
    Expression,
    Integer,
    ListOf,
    Number,
    Numbers,
    OneOf,
    Pair,
    Text,
    Type,
)

__all__ = [
    "FILES",
    "KERNELS",
    "KINDS",
    "LAWS",
    "NO_DEFAULT",
    "VALUATIONS",
    "Boolean",
    "ByKey",
    "ByPath",
    "Choice",
    "Expression",
    "Integer",
    "Key",
    "ListOf",
    "ModelFile",
    "Number",
    "Numbers",
    "OneOf",
    "Pair",
    "Table",
    "TableArray",
    "Tagged",
    "Text",
    "Type",
    "check_choice",
    "check_keys",
    "check_name",
    "declaration",
    "forms",
    "validate",
]
