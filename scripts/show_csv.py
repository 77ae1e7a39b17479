#!/usr/bin/python3
"""Prints a CSV file as an aligned table on stdout (the end of scripts/run.sh).

    scripts/show_csv.py FILE [--width N]

Only the standard library: scripts/run.sh must work on a minimal Debian 12 with what setup.sh
installs (util-linux's `column` is not part of it). Lines are cut at --width characters (default
160) so that a wide runs.csv stays readable on a terminal.
"""
import argparse
import csv
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--width", type=int, default=160)
    args = parser.parse_args()
    try:
        with open(args.file, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        print(f"show_csv.py: {args.file}: {e.strerror}", file=sys.stderr)
        return 1
    if not rows:
        return 0
    widths = [max(len(row[i]) if i < len(row) else 0 for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        line = "  ".join(cell.ljust(widths[i]) if i < len(widths) else cell for i, cell in enumerate(row))
        print(line.rstrip()[: args.width])
    return 0


if __name__ == "__main__":
    sys.exit(main())
