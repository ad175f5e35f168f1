"""The target table: `python -m bench.report [--results bench/results] [--markdown FILE]`.

Reads every bench/results/<database>-<size>.json and prints, per database and operation,
the median time at each size, the ratio of the largest size to the smallest (target 1.5 at
most between 1,000,000 and 10,000 customers), the ratio to stock Flask-Admin at the largest
size (a quarter at most for list, search and filter operations), the ratio to the bare
endpoint, and the statements at 20 and 100 rows a page (5 at most, and equal); then the
public-submit throughput and the export. Each target is marked met (✓) or missed (✗).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS", Path(__file__).resolve().parent / "results"))
FLAT_LIMIT = 1.5
ANCHOR_LIMIT = 0.25
STATEMENT_LIMIT = 5
SUBMIT_LIMIT = 0.5
EXPORT_RATE = 50_000
EXPORT_MEMORY_MB = 64
MET, MISSED = "✓", "✗"
DATABASE_ORDER = {"sqlite": 0, "postgresql": 1}


def size_name(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def number(value, digits: int | None = None) -> str:
    if value is None:
        return "—"
    if digits is not None:
        return f"{value:,.{digits}f}"
    if abs(value) < 10:
        return f"{value:.2f}"
    if abs(value) < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def mark(ok: bool | None) -> str:
    return "" if ok is None else (MET if ok else MISSED)


def table(headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]
    def line(cells):
        return "  ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                         for i, (cell, width) in enumerate(zip(cells, widths)))
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(row) for row in rows])


# One run ------------------------------------------------------------------------------------
def run_table(run: dict, markdown: bool = False) -> str:
    """The figures of one database and size, as measure.py prints them at the end."""
    headers = ["operation", "product ms (p95)", "stmts 20/100", "anchor ms (p95)", "anchor stmts", "floor ms",
               "×anchor", "×floor", "errors", "rows p/a/f", "p=a"]
    rows = []
    for op in run.get("operations", {}).values():
        product, anchor, floor = op.get("product", {}), op.get("anchor", {}), op.get("floor", {})
        big = product.get("page_size_100", {})
        errors = sum(side.get("errors", 0) for side in (product, anchor, floor))
        counts = [str(side["rows"]) if "rows" in side else "—" for side in (product, anchor, floor)]
        same = product.get("same_rows_as_anchor")
        rows.append([
            op["label"],
            f"{number(product.get('median_ms'))} ({number(product.get('p95_ms'))})",
            f"{number(product.get('statements'), 0)}/{number(big.get('statements'), 0)}" if big else
            number(product.get("statements"), 0),
            f"{number(anchor.get('median_ms'))} ({number(anchor.get('p95_ms'))})" if anchor else "—",
            number(anchor.get("statements"), 0) if anchor else "—",
            number(floor.get("median_ms")) if floor else "—",
            number(op.get("ratio_to_anchor")), number(op.get("ratio_to_floor")), str(errors),
            "/".join(counts) if any(c != "—" for c in counts) else "—",
            "—" if same is None else ("yes" if same else "NO"),
        ])
    title = f"{run['database']} {run['size']:,} customers ({run['machine']['date']})"
    parts = [title, table(headers, rows, markdown), terms(run)]
    submit = run.get("submit")
    if submit:
        p, f = submit["product"], submit["floor"]
        parts.append(
            f"Public submit, {p['clients']} clients x {p['seconds']:g} s: product {number(p['per_second'])}/s "
            f"(median {number(p['median_ms'])} ms, p95 {number(p['p95_ms'])} ms), bare {number(f['per_second'])}/s, "
            f"ratio {number(submit['ratio_to_bare'])} (target ≥ {SUBMIT_LIMIT}); errors {p['errors']} / {f['errors']}; "
            f"stored {p['rows_stored']} of {p['successes']} successes "
            f"({'equal' if p['stored_equals_successes'] else 'NOT equal'}); load generator used "
            f"{p['load_generator_cpu_share']} / {f['load_generator_cpu_share']} of a core")
    export = run.get("export")
    if export:
        parts.append(
            f"Export (CSV, every customer): {export['rows']:,} rows of {export['customers']:,} in "
            f"{number(export['seconds'])} s = {number(export['rows_per_second'], 0)} rows/s, first byte "
            f"{number(export['first_byte_ms'])} ms, worker peak memory +{number(export['memory_growth_mb'])} MB, "
            f"status {export['status']}")
    return "\n\n".join(parts) + "\n"


def terms(run: dict) -> str:
    f = run.get("facts", {})
    return (f"Looked for: name part {f.get('name_part')}, mobile part {f.get('mobile_part')}, whole mobile "
            f"{f.get('whole_mobile')}, dealer code {f.get('dealer_code')}, dealer user's dealer "
            f"{f.get('dealer_user_dealer_code')}, details of customer {f.get('customer_id')}.")


# Every run ----------------------------------------------------------------------------------
def load(results_dir: Path) -> dict[str, dict[int, dict]]:
    runs: dict[str, dict[int, dict]] = {}
    for path in sorted(results_dir.glob("*.json")):
        try:
            run = json.loads(path.read_text(encoding="utf-8"))
            runs.setdefault(run["database"], {})[int(run["size"])] = run
        except (ValueError, KeyError):
            print(f"skipping {path}: not a result file", file=sys.stderr)
    return dict(sorted(runs.items(), key=lambda item: DATABASE_ORDER.get(item[0], 9)))


def database_table(database: str, runs: dict[int, dict], markdown: bool) -> str:
    sizes = sorted(runs)
    small, large = sizes[0], sizes[-1]
    names = []
    for size in sizes:
        for name in runs[size].get("operations", {}):
            if name not in names:
                names.append(name)
    flat_header = f"{size_name(large)}/{size_name(small)} ≤{FLAT_LIMIT}"
    headers = (["operation"] + [f"{size_name(s)} ms (p95)" for s in sizes]
               + [flat_header, f"×anchor at {size_name(large)} ≤{ANCHOR_LIMIT}", f"×floor at {size_name(large)}",
                  f"stmts 20/100 ≤{STATEMENT_LIMIT}", "errors"])
    rows, missed = [], []
    for name in names:
        ops = {size: runs[size]["operations"].get(name) for size in sizes}
        present = {size: op for size, op in ops.items() if op}
        label = list(present.values())[-1]["label"]  # as the largest size's run calls it
        cells = [label]
        for size in sizes:
            product = (ops[size] or {}).get("product", {})
            cells.append(f"{number(product.get('median_ms'))} ({number(product.get('p95_ms'))})" if product else "—")
        low = (ops[small] or {}).get("product", {}).get("median_ms")
        high = (ops[large] or {}).get("product", {}).get("median_ms")
        if len(sizes) > 1 and low and high:
            flat = high / low
            cells.append(f"{flat:.2f} {mark(flat <= FLAT_LIMIT)}")
            if flat > FLAT_LIMIT:
                missed.append(f"{label}: {size_name(large)} takes {flat:.2f}x {size_name(small)}")
        else:
            cells.append("—")
        top = ops[large] or {}
        anchor_ratio = top.get("ratio_to_anchor")
        if anchor_ratio is not None and top.get("anchor_target"):
            cells.append(f"{anchor_ratio:.2f} {mark(anchor_ratio <= ANCHOR_LIMIT)}")
            if anchor_ratio > ANCHOR_LIMIT:
                missed.append(f"{label}: {anchor_ratio:.2f}x stock Flask-Admin at {size_name(large)}")
        else:
            cells.append(number(anchor_ratio) if anchor_ratio is not None else "—")
        cells.append(number(top.get("ratio_to_floor")))
        statements = []
        for size in sizes:
            product = (ops[size] or {}).get("product", {})
            if product:
                statements.append((product.get("statements"), product.get("page_size_100", {}).get("statements")
                                   if "page_size_100" in product else None))
        last = statements[-1] if statements else (None, None)
        if top.get("kind") == "list":
            ok = all(s20 is not None and s20 <= STATEMENT_LIMIT and s100 == s20 for s20, s100 in statements)
            cells.append(f"{number(last[0], 0)}/{number(last[1], 0)} {mark(ok)}")
            if not ok:
                missed.append(f"{label}: statements " + ", ".join(f"{a}/{b}" for a, b in statements))
        else:
            cells.append(number(last[0], 0))
        errors = sum((op or {}).get("product", {}).get("errors", 0) for op in ops.values())
        cells.append(f"{errors} {mark(errors == 0)}")
        if errors:
            missed.append(f"{label}: {errors} errors")
        rows.append(cells)

    other_headers = ["size", f"submit /s product vs bare ≥{SUBMIT_LIMIT}", "submit errors", "stored = successes",
                     f"export rows/s ≥{EXPORT_RATE:,}", f"export memory ≤{EXPORT_MEMORY_MB} MB"]
    other = []
    for size in sizes:
        run = runs[size]
        submit, export = run.get("submit"), run.get("export")
        cells = [size_name(size)]
        if submit:
            p, f, r = submit["product"], submit["floor"], submit.get("ratio_to_bare")
            cells.append(f"{number(p['per_second'])} / {number(f['per_second'])} = {number(r)} "
                         f"{mark(r is not None and r >= SUBMIT_LIMIT)}")
            cells.append(f"{p['errors']} {mark(p['errors'] == 0)}")
            cells.append(f"{p['rows_stored']} / {p['successes']} {mark(p['stored_equals_successes'])}")
            if r is None or r < SUBMIT_LIMIT:
                missed.append(f"{size_name(size)}: submit throughput {number(r)} of bare")
            if p["errors"]:
                missed.append(f"{size_name(size)}: {p['errors']} submit errors")
            if not p["stored_equals_successes"]:
                missed.append(f"{size_name(size)}: {p['rows_stored']} rows stored for {p['successes']} successes")
        else:
            cells += ["—", "—", "—"]
        if export:
            rate, growth = export.get("rows_per_second"), export.get("memory_growth_mb")
            complete = export.get("all_rows")
            cells.append(f"{number(rate, 0)} {mark(rate is not None and rate >= EXPORT_RATE and complete)}"
                         + ("" if complete else f" (only {export['rows']:,} rows)"))
            cells.append(f"{number(growth)} {mark(growth is not None and growth <= EXPORT_MEMORY_MB)}")
            if rate is None or rate < EXPORT_RATE or not complete:
                missed.append(f"{size_name(size)}: export {number(rate, 0)} rows/s, {export['rows']:,} rows")
            if growth is None or growth > EXPORT_MEMORY_MB:
                missed.append(f"{size_name(size)}: export memory +{number(growth)} MB")
        else:
            cells += ["—", "—"]
        other.append(cells)

    machine = runs[large]["machine"]
    version = f"PostgreSQL {machine['postgresql']}" if machine.get("postgresql") else f"SQLite {machine['sqlite']}"
    heading = (f"{database} ({version}; {machine['cpus']} CPUs; Python {machine['python']}; "
               f"git {machine.get('git', {}).get('commit', '?')}; {runs[large]['machine']['date'][:10]})")
    parts = [("### " if markdown else "") + heading, table(headers, rows, markdown), table(other_headers, other,
                                                                                           markdown)]
    notes = [f"{size_name(size)}: {terms(runs[size])}" for size in sizes]
    if any(size < 2000 * 20 for size in sizes):
        notes.append("Page 2,000 lies past the last page below 40,000 customers: there it is an empty page.")
    parts.append("\n".join(("- " if markdown else "") + note for note in notes))
    summary = ("All targets met." if not missed else "Missed:\n" + "\n".join(f"- {item}" for item in missed))
    parts.append(summary)
    return "\n\n".join(parts)


def report(results_dir: Path, markdown: bool) -> str:
    runs = load(results_dir)
    if not runs:
        return f"No results in {results_dir}.\n"
    note = ("Medians (p95 in brackets) in milliseconds, logged in as clerk (dealer1 for the dealer row). "
            "×anchor: product time / stock Flask-Admin time for the same operation in the same run; ×floor: "
            "product time / a bare LIMIT 20 query returned as JSON. Statements: SQL statements per request "
            "(transaction control left out) at 20 and 100 rows a page.")
    return "\n\n".join([note] + [database_table(db, by_size, markdown) for db, by_size in runs.items()]) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", default=str(RESULTS_DIR))
    parser.add_argument("--markdown", default=None,
                        help="also write the tables as markdown to this file (default: <results>/summary.md)")
    parser.add_argument("--run", help="print the detailed table of one result file instead")
    args = parser.parse_args(argv)
    if args.run:
        print(run_table(json.loads(Path(args.run).read_text(encoding="utf-8"))))
        return 0
    results_dir = Path(args.results)
    print(report(results_dir, markdown=False))
    markdown_path = Path(args.markdown) if args.markdown else results_dir / "summary.md"
    if results_dir.exists():
        markdown_path.write_text(report(results_dir, markdown=True), encoding="utf-8")
        print(f"(markdown: {markdown_path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
