"""The corpus doc sets the issue names build as given (``--stub-missing`` where they need it), and
the five with a truth SQL come out as the truth has them, but for the documents' own omissions.

The figures are those of ``scripts/truth_compare.py``; every miss must be one of the omissions
recorded (and explained) in ``truth_support.OMISSIONS``, and every recorded omission must
still be a miss, so a reader that loses something fails here and one that starts inventing
what a document does not say fails too.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from schemadoc.actions import build
from schemadoc.pg.connect import with_database
from schemadoc.pg.introspect import introspect
from schemadoc.read import read_documents

from conftest import CORPUS
from truth_support import (
    BUILD_SETS,
    OMISSIONS,
    TRUTH_SETS,
    TruthUnavailable,
    doc_paths,
    drop_roles,
    explained,
    measure_set,
    scratch,
)


def _paths(label: str) -> list[Path]:
    if not (CORPUS / "docs").is_dir():
        pytest.skip("../shared/corpus is not present")
    paths = doc_paths(CORPUS, BUILD_SETS[label])
    if not paths:
        pytest.skip(f"corpus set {label} is not present")
    return paths


@pytest.mark.parametrize("label", sorted(BUILD_SETS, key=lambda s: int(s[1:])))
def test_doc_set_builds_as_given(label: str, server_url: str) -> None:
    paths = _paths(label)
    doc, diags = read_documents(paths, stub_missing=True)
    assert [d.render() for d in diags if d.level == "error"] == []
    with scratch(server_url, f"build_{label.lower()}") as dbname:
        result = build(with_database(server_url, dbname), doc, maintenance_url=server_url)
        with psycopg.connect(with_database(server_url, dbname)) as conn:
            built = introspect(conn)
    drop_roles(server_url, result.roles_created)
    documented = {q: t for q, t in doc.tables.items() if not t.stub}
    assert documented and set(documented) <= set(built.tables)
    for q, table in documented.items():
        assert [c.name for c in built.tables[q].columns] == [c.name for c in table.columns], q


@pytest.mark.parametrize("label", [ts.label for ts in TRUTH_SETS])
def test_doc_set_matches_its_truth_but_for_the_documents_omissions(label: str, server_url: str) -> None:
    _paths(label)
    ts = next(t for t in TRUTH_SETS if t.label == label)
    try:
        fig = measure_set(server_url, CORPUS, ts)
    except TruthUnavailable as exc:
        pytest.skip(str(exc))
    unexplained = [f"{m.measure} {m.subject}: {m.detail}" for m in fig.misses if explained(label, m) is None]
    assert unexplained == []
    stale = [o.subject for o in OMISSIONS.get(label, ()) if not any(o.explains(m) for m in fig.misses)]
    assert stale == []
    assert fig.total["tables"] > 0 and fig.total["columns"] > 0
