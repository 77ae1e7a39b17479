#!/usr/bin/python3
"""Compares two folders of study results (scripts/study_results.sh) number by number.

    scripts/compare_results.py BASE_DIR NEW_DIR [--tol REL]

For every study folder in BASE_DIR: runs.csv rows are joined on run_id (or, when the run ids
changed, on the swept-key columns), metrics.csv rows on (run_id or swept keys, step), and each
run's probe CSVs (runs/<run_id>/<probe>.csv) row by row. Every column is compared except timing
and memory ones (wall_s, ms_per_step, peak_rss_mb, any *_s / *_ms / *_mb / ms_* column and the
probe_s_* columns): numbers bit for bit by default (--tol: relative tolerance), text exactly.
Prints one line per study and every difference; exits 1 when anything differs or is missing.
"""
import argparse
import csv
import math
import os
import sys

def is_timing(column):
    return (column.endswith(("_s", "_ms", "_mb")) or column.startswith(("ms_", "probe_s"))
            or column in {"wall_s", "ms_per_step", "peak_rss_mb", "seconds"})


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return rows


def same(a, b, tol):
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    if math.isnan(x) and math.isnan(y):
        return True
    return tol > 0 and abs(x - y) <= tol * max(abs(x), abs(y))


def swept_keys(rows):
    """The columns of runs.csv between status and the first result column, steps: the swept keys
    (the result columns themselves are listed once, in bnlab: lib/experiment/collect.cpp)."""
    if not rows:
        return []
    columns = list(rows[0])
    return columns[columns.index("status") + 1:columns.index("steps")]


def compare_rows(where, base, new, tol, problems):
    for column in base:
        if is_timing(column):
            continue
        if column not in new:
            problems.append(f"{where}: column {column} missing")
        elif not same(base[column], new[column], tol):
            problems.append(f"{where}: {column} {base[column]} -> {new[column]}")


def compare_study(base_dir, new_dir, tol):
    problems = []
    base_runs, new_runs = read_csv(os.path.join(base_dir, "runs.csv")), read_csv(os.path.join(new_dir, "runs.csv"))
    keys = swept_keys(base_runs)
    ids_match = {r["run_id"] for r in base_runs} == {r["run_id"] for r in new_runs}
    join = ["run_id"] if ids_match else keys
    by_key = {tuple(r[k] for k in join): r for r in new_runs}
    pairs = []  # (base run_id, new run_id)
    for row in base_runs:
        key = tuple(row[k] for k in join)
        other = by_key.get(key)
        if other is None:
            problems.append(f"runs.csv: no run with {dict(zip(join, key))}")
            continue
        compare_rows(f"runs.csv {dict(zip(join, key))}", {k: v for k, v in row.items() if k != "run_id" or ids_match},
                     other, tol, problems)
        pairs.append((row["run_id"], other["run_id"]))
    if len(new_runs) != len(base_runs):
        problems.append(f"runs.csv: {len(base_runs)} runs before, {len(new_runs)} after")

    id_map = dict(pairs)
    new_metrics = {}
    for r in read_csv(os.path.join(new_dir, "metrics.csv")):
        new_metrics[(r["run_id"], r["step"])] = r
    for row in read_csv(os.path.join(base_dir, "metrics.csv")):
        other = new_metrics.get((id_map.get(row["run_id"], ""), row["step"]))
        where = f"metrics.csv run {row['run_id']} step {row['step']}"
        if other is None:
            problems.append(f"{where}: missing")
            continue
        compare_rows(where, {k: v for k, v in row.items() if k != "run_id"}, other, tol, problems)

    files = 0
    for base_id, new_id in pairs:
        base_run, new_run = os.path.join(base_dir, "runs", base_id), os.path.join(new_dir, "runs", new_id)
        if not os.path.isdir(base_run):
            continue
        for name in sorted(os.listdir(base_run)):
            if not name.endswith(".csv") or name == "metrics.csv":
                continue
            files += 1
            if not os.path.exists(os.path.join(new_run, name)):
                problems.append(f"runs/{base_id}/{name}: missing after")
                continue
            base_rows, new_rows = read_csv(os.path.join(base_run, name)), read_csv(os.path.join(new_run, name))
            if len(base_rows) != len(new_rows):
                problems.append(f"runs/{base_id}/{name}: {len(base_rows)} rows before, {len(new_rows)} after")
            for i, (b, n) in enumerate(zip(base_rows, new_rows)):
                compare_rows(f"runs/{base_id}/{name} row {i + 1}", b, n, tol, problems)
    return len(base_runs), files, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base")
    parser.add_argument("new")
    parser.add_argument("--tol", type=float, default=0.0, help="relative tolerance (default 0: bit for bit)")
    args = parser.parse_args()
    studies = sorted(d for d in os.listdir(args.base) if os.path.exists(os.path.join(args.base, d, "runs.csv")))
    if not studies:
        sys.exit(f"{args.base}: no <study>/runs.csv")
    failed = False
    for study in studies:
        new_dir = os.path.join(args.new, study)
        if not os.path.exists(os.path.join(new_dir, "runs.csv")):
            print(f"{study}: MISSING in {args.new}")
            failed = True
            continue
        runs, files, problems = compare_study(os.path.join(args.base, study), new_dir, args.tol)
        verdict = "same" if not problems else f"DIFFERENT ({len(problems)} values)"
        print(f"{study}: {runs} runs, {files} probe files: {verdict}")
        for p in problems[:20]:
            print(f"  {p}")
        if len(problems) > 20:
            print(f"  ... {len(problems) - 20} more")
        failed |= bool(problems)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
