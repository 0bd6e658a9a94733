"""Sphinx configuration for the datamech documentation site.

Build (warnings are errors, as in CI)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The API reference comes from the docstrings (autodoc + napoleon, numpy style); the
guides are the Markdown pages of ``docs/`` (MyST); the tutorials are the notebooks of
``docs/tutorials/``, rendered with their stored outputs (they are executed by
``tests/test_tutorials.py``, not by the build).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Docstring examples name files relative to the repository root.
os.chdir(ROOT)
os.environ.setdefault("MPLBACKEND", "Agg")

import datamech  # noqa: E402

project = "datamech"
author = "datamech developers"
copyright = "datamech developers"
release = datamech.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "myst_nb",
]

root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# autodoc: members in source order, public names only (modules' __all__ respected)
autodoc_default_options = {"members": True, "member-order": "bysource", "show-inheritance": True}
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_inherit_docstrings = False
autoclass_content = "class"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
# Types stay text (shapes such as "(n, m)" are not cross-references).
napoleon_use_param = False
napoleon_custom_sections = [("Attributes", "params_style")]
napoleon_preprocess_types = False

# MyST: the guides are plain GitHub Markdown; headings get anchors for cross-links.
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
# Tutorials are stored executed; the tests execute them (tests/test_tutorials.py).
nb_execution_mode = "off"
nb_merge_streams = True

html_theme = "alabaster"
html_title = f"datamech {release}"
html_static_path: list[str] = []
