#!/usr/bin/env python3
"""Summarize a `bnlab bench` CSV as the Markdown tables of docs/performance.md "Performance".

    build/bnlab bench > bench.csv && scripts/bench_summary.py bench.csv [--before old.csv]

Prints the machine figures, the issue-4 targets (met or not, with the numbers), the step table
(ms per step, samples/s, fraction of peak, BN overhead) and, with --before, the ratio old/new of
every step and layer row measured in both files (>1: faster now).
"""
import argparse
import csv
import math
import sys


def load(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(row, col):
    return float(row[col]) if row.get(col) else None


def find(rows, **kv):
    return [r for r in rows if all(r[k] == str(v) for k, v in kv.items())]


def one(rows, **kv):
    hits = find(rows, **kv)
    return hits[0] if hits else None


def targets(rows):
    out = ["| target | measured | met |", "|---|---|---|"]
    peak1 = one(rows, section="machine", name="matmul_f32", threads=1)
    copy1 = one(rows, section="machine", name="copy", threads=1)
    # BN forward+backward on tensors larger than L2 (1 MB per core), 1 thread, in the layout the
    # cnn trains in (nChw16c, what convolution picks); nhwc shown for comparison.
    def bn_range(layout):
        fracs = [num(r, "frac_copy_bw") for r in find(rows, section="layers", name="bn_relu_fused_fwd_bwd", threads=1)
                 if r["layout"] == layout and 4 * math.prod(int(d) for d in r["shape"].split("x")) > 1 << 20]
        return (min(fracs), max(fracs)) if fracs else None
    blocked, nhwc = bn_range("nChw16c"), bn_range("nhwc")
    if blocked and copy1:
        other = f"; nhwc {nhwc[0]:.2f}-{nhwc[1]:.2f}" if nhwc else ""
        out.append(f"| BN+ReLU fwd+bwd > L2, 1 thread, >= 0.5 of copy bw | nChw16c {blocked[0]:.2f}-{blocked[1]:.2f}{other} "
                   f"of {num(copy1, 'gb_per_s'):.1f} GB/s | {'yes' if blocked[0] >= 0.5 else 'no'} |")
    # Group norm (issue 11): forward+backward on the cnn's first conv output in its training layout.
    for name in ("gn_fwd_bwd", "gn_relu_fused_fwd_bwd"):
        gn = [r for r in find(rows, section="layers", name=name, layout="nChw16c")
              if r["shape"].endswith("x32x28x28")]
        by_threads = {r["threads"]: num(r, "frac_copy_bw") for r in gn}
        if "1" in by_threads:
            two = f"; 2 threads {by_threads['2']:.2f}" if "2" in by_threads else ""
            out.append(f"| {name} Nx32x28x28 nChw16c, 1 thread, >= 0.5 of copy bw | {by_threads['1']:.2f}{two} "
                       f"| {'yes' if by_threads['1'] >= 0.5 else 'no'} |")
    cnn256 = one(rows, section="steps", name="train_step", model="cnn", norm="batch", batch=256, threads=1)
    if cnn256 and peak1:
        need = 0.6 * num(peak1, "gflop_per_s") * 1e9 / 25e6
        have = num(cnn256, "samples_per_s")
        out.append(f"| cnn+BN batch 256, 1 thread, >= 60% of peak-equivalent rate | {have:.0f} samples/s = "
                   f"{have / (need / 0.6):.0%} of {need / 0.6:.0f} | {'yes' if have >= need else 'no'} |")
    for model, batch, limit in (("cnn", 2, 2.5), ("mlp", 60, 1.5)):
        r = one(rows, section="steps", name="train_step", model=model, norm="batch", batch=batch, threads=1)
        if r and num(r, "x_floor"):
            out.append(f"| {model}+BN batch {batch}, 1 thread, <= {limit}x compute floor | {num(r, 'ms_median'):.3g} ms = "
                       f"{num(r, 'x_floor'):.2f}x of {num(r, 'floor_ms'):.3g} ms | {'yes' if num(r, 'x_floor') <= limit else 'no'} |")
    # ResNet-20 (issue 12): batch 128 at >= 70% of the peak-equivalent rate, batch 2 <= 3x its floor.
    r128 = one(rows, section="steps", name="train_step", model="resnet20", norm="batch", batch=128, threads=1)
    if r128 and num(r128, "frac_peak"):
        out.append(f"| resnet20+BN batch 128, 1 thread, >= 70% of peak-equivalent rate | {r128['samples_per_s']} "
                   f"samples/s = {num(r128, 'frac_peak'):.0%} of peak | {'yes' if num(r128, 'frac_peak') >= 0.7 else 'no'} |")
    r2 = one(rows, section="steps", name="train_step", model="resnet20", norm="batch", batch=2, threads=1)
    if r2 and num(r2, "x_floor"):
        out.append(f"| resnet20+BN batch 2, 1 thread, <= 3x compute floor | {num(r2, 'ms_median'):.3g} ms = "
                   f"{num(r2, 'x_floor'):.2f}x of {num(r2, 'floor_ms'):.3g} ms | {'yes' if num(r2, 'x_floor') <= 3 else 'no'} |")
    for threads in sorted({r["threads"] for r in find(rows, section="steps", model="cnn")}):
        ratios = []
        for b in (32, 60, 64, 128, 256):
            w = one(rows, section="steps", name="train_step", model="cnn", norm="batch", batch=b, threads=threads)
            wo = one(rows, section="steps", name="train_step", model="cnn", norm="none", batch=b, threads=threads)
            if w and wo:
                ratios.append((b, num(w, "ms_median") / num(wo, "ms_median")))
        if ratios:
            worst = max(r for _, r in ratios)
            text = ", ".join(f"{b}: {r:.2f}" for b, r in ratios)
            out.append(f"| cnn BN overhead (with / without), batch >= 32, {threads} thread(s), <= 1.10 | {text} | "
                       f"{'yes' if worst <= 1.10 else 'no'} |")
    return out


def machine(rows):
    out = ["| threads | FP32 matmul GFLOP/s | copy GB/s |", "|---|---|---|"]
    for t in sorted({r["threads"] for r in find(rows, section="machine")}):
        p = one(rows, section="machine", name="matmul_f32", threads=t)
        c = one(rows, section="machine", name="copy", threads=t)
        out.append(f"| {t} | {p['gflop_per_s'] if p else ''} | {c['gb_per_s'] if c else ''} |")
    return out


def steps(rows):
    out = ["| model | batch | threads | train ms (BN) | train ms (no BN) | BN overhead | samples/s (BN) | "
           "frac of peak (BN) | x floor (BN) | infer ms (BN) |", "|---|---|---|---|---|---|---|---|---|---|"]
    keys = sorted({(r["model"], int(r["batch"]), int(r["threads"])) for r in find(rows, section="steps")},
                  key=lambda k: (k[0] != "mlp", k[2], k[1]))
    for model, batch, threads in keys:
        w = one(rows, section="steps", name="train_step", model=model, norm="batch", batch=batch, threads=threads)
        wo = one(rows, section="steps", name="train_step", model=model, norm="none", batch=batch, threads=threads)
        i = one(rows, section="steps", name="infer_batch", model=model, norm="batch", batch=batch, threads=threads)
        if not w:
            continue
        ratio = f"{num(w, 'ms_median') / num(wo, 'ms_median'):.2f}" if wo else ""
        out.append(f"| {model} | {batch} | {threads} | {w['ms_median']} | {wo['ms_median'] if wo else ''} | {ratio} | "
                   f"{w['samples_per_s']} | {w['frac_peak']} | {w['x_floor']} | {i['ms_median'] if i else ''} |")
    return out


def layers(rows):
    out = ["| op | layout | shape | threads | ms | GB/s | frac of copy bw |", "|---|---|---|---|---|---|---|"]
    for r in find(rows, section="layers"):
        if r["name"].endswith("fwd_bwd") or r["name"].startswith("maxpool") or r["name"].endswith("infer"):
            out.append(f"| {r['name']} | {r['layout']} | {r['shape']} | {r['threads']} | {r['ms_median']} | "
                       f"{r['gb_per_s']} | {r['frac_copy_bw']} |")
    return out


def compare(old, new):
    out = ["| section | name | model/norm | layout | shape | threads | ms before | ms after | before/after |",
           "|---|---|---|---|---|---|---|---|---|"]
    key = lambda r: (r["section"], r["name"], r["model"], r["norm"], r["layout"], r["shape"], r["threads"])
    before = {key(r): r for r in old if r["section"] != "machine"}
    for r in new:
        b = before.get(key(r))
        if b:
            ratio = num(b, "ms_median") / num(r, "ms_median")
            out.append(f"| {r['section']} | {r['name']} | {r['model']}/{r['norm']} | {r['layout']} | {r['shape']} | "
                       f"{r['threads']} | {b['ms_median']} | {r['ms_median']} | {ratio:.2f} |")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("--before", help="an earlier bench CSV to compare with")
    ap.add_argument("--layers", action="store_true", help="also print the layer table")
    a = ap.parse_args()
    rows = load(a.csv)
    blocks = [("Machine", machine(rows)), ("Targets (issues 4, 12)", targets(rows)), ("Steps", steps(rows))]
    if a.layers:
        blocks.append(("Layers", layers(rows)))
    if a.before:
        blocks.append(("Before / after", compare(load(a.before), rows)))
    for title, lines in blocks:
        print(f"### {title}\n")
        print("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
