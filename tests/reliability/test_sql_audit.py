"""SQL only with bound parameters: an audit of every SQL string built by interpolation in src/.

The scan (AST) finds f-strings, ``str.format`` and ``%`` formatting whose literal text looks like SQL. Each
such site must be in ``ALLOWED`` with the reason it is safe — it interpolates only identifiers from
``tethers.atlas.schema`` (table/column names, quoted), fixed SQL fragments chosen by code, or numbers the code
computed; values from users always go through bound parameters (``?`` / ``$name``). A new site fails this
test until it is reviewed and listed.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tethers"
SQL = re.compile(r"\b(SELECT|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|CREATE\s+(TABLE|INDEX|VIEW|TEMP)|"
                 r"DROP\s+TABLE|FROM\s+\"|WHERE\s|JOIN\s|ATTACH\s|COPY\s)", re.I)


def _literal_text(node: ast.AST) -> str:
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return ""


def sql_interpolations() -> Counter:
    """(file relative to src/tethers, enclosing function) → number of interpolated SQL strings there."""
    found: Counter = Counter()
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]

        def owner(node, funcs=funcs):
            best = None
            for f in funcs:
                if f.lineno <= node.lineno <= (f.end_lineno or f.lineno) and (best is None or f.lineno > best.lineno):
                    best = f
            return best.name if best else "<module>"

        for node in ast.walk(tree):
            text = ""
            if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
                text = _literal_text(node)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"):
                text = _literal_text(node.func.value)
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
                text = _literal_text(node.left)
            if text and SQL.search(text):
                found[(str(path.relative_to(SRC)), owner(node))] += 1
    return found


# Reviewed sites: (file, function) → (max count, why it is safe). Keep the reason specific.
ALLOWED: dict[tuple[str, str], tuple[int, str]] = {
    # store.py: identifiers only, all from tethers.atlas.schema (TABLES / PROVENANCE specs), double-quoted.
    ("atlas/store.py", "_create_indexes"): (1, "index/table/column names from schema.TABLES"),
    ("atlas/store.py", "_insert_arrow"): (3, "table name checked against schema.TABLES; key/column lists from the spec"),
    ("atlas/store.py", "checksum"): (1, "table names read from information_schema of the file itself"),
    ("atlas/store.py", "info"): (2, "table/column names from schema.TABLES"),
    ("atlas/store.py", "table"): (1, "table must be in schema.TABLES, columns in its spec (else SchemaError); values bound"),
    ("atlas/schema.py", "ddl"): (1, "CREATE TABLE from the schema's own column definitions"),
    # queries.py: the WHERE clause is made of fixed fragments chosen by code; every value is a bound '?'.
    ("atlas/queries.py", "trade_totals"): (1, "fixed fragments, values bound"),
    ("atlas/queries.py", "_votes"): (1, "fixed fragments, values bound"),
    # atlas/global_store.py (BACI-scale store): fixed SQL plus numbers/paths made by code. File paths are quoted as
    # SQL string literals with quote doubling (_quote): DuckDB table functions take the path as a literal.
    ("atlas/global_store.py", "_connect"): (1, "SET temp_directory to a quoted path; canonical-code macro of ints"),
    ("atlas/global_store.py", "_table"): (1, "temp table names are literals in this module"),
    ("atlas/global_store.py", "copy_sql"): (1, "int(year) and module constants; quoted paths"),
    ("atlas/global_store.py", "first_bad_row"): (4, "check expressions are module constants; quoted path; row bound"),
    ("atlas/global_store.py", "open_global"): (1, "quoted glob under the store root"),
    # atlas/global_sql.py: temp-table names are module defaults, thresholds are float()-ed, country codes
    # are int codes from the store's own table; the year and products are bound ($year, registered Arrow).
    ("atlas/global_sql.py", "_critical_sql"): (2, "float() thresholds and fixed fragments"),
    ("atlas/global_sql.py", "_shares_sql"): (1, "temp-table name from code"),
    ("atlas/global_sql.py", "all_measures"): (3, "temp-table name from code"),
    ("atlas/global_sql.py", "dyad_aggregates"): (3, "temp-table names from code"),
    ("atlas/global_sql.py", "prepare_scenario"): (1, "int country codes looked up in the store; year bound"),
    # false positives: prose that contains an SQL keyword ("where", "from"), never executed
    ("scenario/gravity.py", "panel"): (1, "a description of the panel for the notes ('… where both exist'), not SQL"),
    ("analysis/world.py", "parse_measure"): (1, "a measure's definition text for the reader, not SQL"),
}


def test_no_unreviewed_sql_interpolation():
    found = sql_interpolations()
    new = {k: n for k, n in found.items() if k not in ALLOWED or n > ALLOWED[k][0]}
    assert not new, "SQL built by interpolation outside the reviewed sites (use bound parameters): " + repr(new)


def test_allow_list_has_no_stale_entries():
    found = sql_interpolations()
    assert not [k for k in ALLOWED if k not in found], "remove allow-list entries for sites that no longer exist"
