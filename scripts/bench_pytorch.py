#!/usr/bin/env python3
"""bnlab's reference models beside PyTorch's on the same machine, in the same run.

    scripts/bench_pytorch.py [--bnlab build/bnlab] [--models lstm,cnn,mlp] [--batches 2,64,256]
                             [--norms none,batch] [--threads 1] [--rounds 2] [--csv out.csv]

For every model, norm and batch it times a training step (forward, cross-entropy, backward, SGD
with momentum 0.9 at learning rate 0, as `bnlab bench` does) and an inference batch (eval mode,
no autograd) in PyTorch, and runs `bnlab bench --sections steps` on the same rows; the rounds
alternate the two (bnlab, PyTorch, bnlab, ...) so that a change in the machine's load falls on
both. It prints a Markdown table of the medians over the rounds with the ratio PyTorch / bnlab
(> 1: bnlab is faster) and, with --csv, every measurement.

The PyTorch models are the shapes of `bnlab bench`'s reference models (docs/performance.md):
  mlp   784-100-100-100-10, sigmoid; with BN: Linear (no bias) -> BatchNorm1d -> sigmoid
  cnn   conv3x3(32)-BN-ReLU-pool2, conv3x3(64)-BN-ReLU-pool2, linear(128)-BN-ReLU, linear(10)
        (padding 1; no bias before a BN; NCHW, PyTorch's default layout)
  lstm  28 rows of 28 pixels -> nn.LSTM(28, 128) -> linear(10) on the last hidden state
        (PyTorch has no BN-LSTM, so only norm "none")
Timing as `bnlab bench`: a first call, 30 ms of untimed calls, then --repeats repeats that each
run the operation for at least --min-time ms; ms per call, median and min over the repeats.

PyTorch is Debian's python3-torch 1.13 (not needed by anything else in bnlab); run this with
/usr/bin/python3 where another python3 comes first in PATH. Debian builds it on the system's
oneDNN 2.6 (its convolutions and BN, the library bnlab uses) and on the generic BLAS interface for
its matrix products (Linear, LSTM): with Debian's reference BLAS those are several times slower than
they need be, so install OpenBLAS first (apt install python3-torch libopenblas0-openmp; the
alternatives system then points libblas.so.3 at it); the table's title names the BLAS in use.
Threads: torch.set_num_threads(--threads), and OMP_NUM_THREADS / OPENBLAS_NUM_THREADS set before
torch loads (bnlab gets --threads). Run it on a quiet machine: both columns are wall times.
"""
import argparse
import collections
import csv
import io
import os
import statistics
import subprocess
import sys
import time

# One timing: the round, which framework, the bench row's name (train_step, infer_batch), the row.
Measurement = collections.namedtuple("Measurement", "round framework name model norm batch ms_median ms_min")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bnlab", default="build/bnlab", help="the bnlab binary (default build/bnlab)")
    p.add_argument("--models", default="lstm,cnn,mlp")
    p.add_argument("--batches", default="2,64,256")
    p.add_argument("--norms", default="none,batch")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=2, help="alternating rounds of bnlab and PyTorch")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--min-time", type=float, default=10.0, help="ms per repeat, at least")
    p.add_argument("--csv", help="write every measurement here")
    a = p.parse_args()
    a.models = a.models.split(",")
    a.batches = [int(b) for b in a.batches.split(",")]
    a.norms = a.norms.split(",")
    for m in a.models:
        if m not in ("lstm", "cnn", "mlp"):
            p.error(f"unknown model {m!r} (lstm, cnn, mlp)")
    for n in a.norms:
        if n not in ("none", "batch"):
            p.error(f"unknown norm {n!r} (none, batch)")
    if a.rounds < 1 or a.repeats < 1 or a.threads < 1:
        p.error("--rounds, --repeats and --threads must be at least 1")
    return a


def rows_of(args):
    """The (model, norm, batch) rows both sides measure: PyTorch has no BN-LSTM."""
    return [(m, n, b) for m in args.models for n in args.norms for b in args.batches
            if not (m == "lstm" and n != "none")]


def torch_model(torch, name, norm):
    nn = torch.nn
    bn = norm == "batch"
    if name == "mlp":
        layers, width = [nn.Flatten()], 784
        for h in (100, 100, 100):
            layers += [nn.Linear(width, h, bias=not bn)] + ([nn.BatchNorm1d(h)] if bn else []) + [nn.Sigmoid()]
            width = h
        return nn.Sequential(*layers, nn.Linear(width, 10))
    if name == "cnn":
        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=not bn)] + ([nn.BatchNorm2d(cout)] if bn else []) + \
                   [nn.ReLU(), nn.MaxPool2d(2)]
        return nn.Sequential(*block(1, 32), *block(32, 64), nn.Flatten(),
                             nn.Linear(64 * 7 * 7, 128, bias=not bn), *([nn.BatchNorm1d(128)] if bn else []),
                             nn.ReLU(), nn.Linear(128, 10))

    class RowLstm(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 128, batch_first=True)
            self.fc = nn.Linear(128, 10)

        def forward(self, x):
            out, _ = self.lstm(x.view(x.shape[0], 28, 28))
            return self.fc(out[:, -1])
    return RowLstm()


def time_call(fn, repeats, min_time_ms):
    """benchdnn-style: a first call, 30 ms of warm-up, then repeats of >= min_time_ms each."""
    fn()
    end = time.perf_counter() + 0.030
    while time.perf_counter() < end:
        fn()
    per_call = []
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed * 1000 >= min_time_ms:
                break
        per_call.append(elapsed * 1000 / calls)
    return statistics.median(per_call), min(per_call)


def measure_torch(torch, args, rnd):
    out = []
    for name, norm, batch in rows_of(args):
        torch.manual_seed(1)
        model = torch_model(torch, name, norm)
        x = torch.randn(batch, 1, 28, 28)
        y = torch.randint(0, 10, (batch,))
        opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
        loss_fn = torch.nn.CrossEntropyLoss()

        def train_step():
            opt.zero_grad(set_to_none=False)
            loss_fn(model(x), y).backward()
            opt.step()

        def infer_batch():
            with torch.no_grad():
                model(x)

        model.train()
        med, mn = time_call(train_step, args.repeats, args.min_time)
        out.append(Measurement(rnd, "pytorch", "train_step", name, norm, batch, med, mn))
        model.eval()
        med, mn = time_call(infer_batch, args.repeats, args.min_time)
        out.append(Measurement(rnd, "pytorch", "infer_batch", name, norm, batch, med, mn))
    return out


def measure_bnlab(args, rnd):
    """`bnlab bench` on the rows_of(args), one call per model."""
    out = []
    rows = rows_of(args)
    for name in args.models:
        norms = [n for n in args.norms if (name, n, args.batches[0]) in rows]
        if not norms:
            continue
        cmd = [args.bnlab, "bench", "--sections", "steps", "--models", name, "--norms", ",".join(norms),
               "--batches", ",".join(map(str, args.batches)), "--threads", str(args.threads),
               "--repeats", str(args.repeats), "--min-time", str(args.min_time)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"bench_pytorch: {' '.join(cmd)} failed (exit {res.returncode}): {res.stderr.strip()}")
        for r in csv.DictReader(io.StringIO(res.stdout)):
            if r["section"] == "steps":
                out.append(Measurement(rnd, "bnlab", r["name"], r["model"], r["norm"], int(r["batch"]),
                                       float(r["ms_median"]), float(r["ms_min"])))
    return out


def blas_in_use():
    """The BLAS library this process loaded (the libblas.so.3 alternative), from /proc/self/maps."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown"
    return ", ".join(sorted(os.path.realpath(p) for p in paths)) or "none loaded"


def main():
    args = parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    if not os.access(args.bnlab, os.X_OK):
        sys.exit(f"bench_pytorch: no bnlab binary at {args.bnlab} (build it: scripts/build.sh)")
    try:
        import torch
    except ImportError:
        sys.exit("bench_pytorch: PyTorch is not installed (Debian: apt install python3-torch)")
    torch.set_num_threads(args.threads)
    measurements = []
    for r in range(args.rounds):
        print(f"round {r + 1} of {args.rounds}: bnlab", file=sys.stderr)
        measurements += measure_bnlab(args, r)
        print(f"round {r + 1} of {args.rounds}: PyTorch {torch.__version__}", file=sys.stderr)
        measurements += measure_torch(torch, args, r)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(Measurement._fields[:6] + ("threads",) + Measurement._fields[6:])
            for m in measurements:
                w.writerow(m[:6] + (args.threads,) + m[6:])

    def median_of(framework, name, model, norm, batch):
        vals = [m.ms_median for m in measurements if m[1:6] == (framework, name, model, norm, batch)]
        return statistics.median(vals) if vals else None

    print(f"PyTorch {torch.__version__} (oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}, "
          f"BLAS {blas_in_use()}) and bnlab, {args.threads} thread(s), medians of {args.rounds} alternating round(s), "
          "ms per call; ratio = PyTorch / bnlab (> 1: bnlab is faster)\n")
    print("| model | norm | batch | train bnlab | train PyTorch | ratio | infer bnlab | infer PyTorch | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, norm, batch in rows_of(args):
        cells = []
        for step in ("train_step", "infer_batch"):
            b = median_of("bnlab", step, name, norm, batch)
            t = median_of("pytorch", step, name, norm, batch)
            ratio = f"{t / b:.2f}" if b and t else "-"
            cells += [f"{b:.3g}" if b else "-", f"{t:.3g}" if t else "-", ratio]
        print(f"| {name} | {norm} | {batch} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
