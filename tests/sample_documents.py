"""The sample documents' builders (``scripts/make_documents.py``), for tests that make PDFs at run time,
and the committed samples they wrote."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "pipeline" / "samples" / "documents"

_spec = importlib.util.spec_from_file_location("make_documents", ROOT / "scripts" / "make_documents.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)  # type: ignore[union-attr]


def sample(name: str) -> bytes:
    """A committed sample document, e.g. ``sample("r02_saitaku.pdf")``."""
    return (DOCUMENTS / name).read_bytes()
