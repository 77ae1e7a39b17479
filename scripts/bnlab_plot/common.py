"""Helpers every figure shares: reading an experiment folder, mean-and-band lines, Markdown tables,
and one colour per norm kind, the same in every figure."""
import functools
import json
import math
import sys

import pandas as pd

# The no-norm baseline is grey; the norm kinds take these colours in bnlab's order of model.norm
# (batch blue, layer green, group orange, ...), so a new kind gets the next one.
NORM_PALETTE = ["tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown", "tab:red", "tab:pink",
                "tab:olive", "tab:cyan"]


@functools.lru_cache(maxsize=None)
def norm_colours():
    from .bnlab_cli import norm_kinds  # bnlab_cli imports this module
    kinds = [k for k in norm_kinds() if k != "none"]
    return {"none": "tab:gray", **dict(zip(kinds, NORM_PALETTE))}


def norm_colour(norm):
    return norm_colours().get(norm, "black")


def run_configs(results):
    """Every run's resolved config (runs/<run_id>/config.json), by run id."""
    return [json.loads(p.read_text()) for p in sorted((results / "runs").glob("*/config.json"))]


def fail(message):
    print(f"plot.py: {message}", file=sys.stderr)
    sys.exit(2)


def read_csv(path):
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        fail(f"{path}: not found (is this an experiment folder? run `bnlab run` or `bnlab collect` first)")
    except pd.errors.EmptyDataError:
        fail(f"{path}: empty")


def experiment_name(results):
    for config in sorted((results / "runs").glob("*/config.json")):
        return json.loads(config.read_text())["name"]
    return results.name


def probe_table(results, run_id, probe):
    path = results / "runs" / run_id / f"{probe}.csv"
    return pd.read_csv(path) if path.exists() else None


def mean_band(ax, frame, x, y, label, colour, **kw):
    """Mean over seeds with a min-max band."""
    g = frame.groupby(x)[y]
    mean, lo, hi = g.mean(), g.min(), g.max()
    ax.plot(mean.index, mean.values, label=label, color=colour, **kw)
    if (g.size() > 1).any():
        ax.fill_between(mean.index, lo.values, hi.values, color=colour, alpha=0.2, linewidth=0)


def pct(v):
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.2f}%"


def md_table(frame):
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for i in range(len(frame)):  # column by column: iterrows would turn ints into floats
        lines.append("| " + " | ".join(str(frame[c].iloc[i]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def percentile_panel(ax, results, runs, norm, seed, title, ylabel):
    """The activation_percentiles curves of the watched unit (the lowest recorded) of one run."""
    row = runs[(runs["model.norm"] == norm) & (runs["train.seed"] == seed)]
    t = probe_table(results, row["run_id"].iloc[0], "activation_percentiles") if len(row) else None
    if t is None:
        ax.set_title(title + ": no activation_percentiles probe")
        return
    unit = t["unit"].min()
    u = t[t["unit"] == unit]
    for p, style in zip(sorted(u["percentile"].unique()), [":", "-", "--"]):
        s = u[u["percentile"] == p]
        ax.plot(s["step"], s["value"], style, color=norm_colour(norm), label=f"{p:g}th percentile")
    ax.set(xlabel="training step", ylabel=ylabel, title=f"{title}: last hidden layer, unit {unit}, seed {seed}")
    ax.grid(alpha=0.3)
    ax.legend(loc="best")


def target_set(runs):
    """Where steps_to_target was measured: "validation" (data.val_size > 0) or "test" (older folders too)."""
    on = runs["steps_to_target_on"].dropna() if "steps_to_target_on" in runs.columns else pd.Series(dtype=str)
    return "validation" if len(on) and (on == "val").all() else "test"


def share_ylim(axes):
    """One y range for several panels, so that they compare at a glance."""
    lo = min(a.get_ylim()[0] for a in axes)
    hi = max(a.get_ylim()[1] for a in axes)
    for a in axes:
        a.set_ylim(lo, hi)


def probe_tables(results, runs, probe):
    """One probe's table of every run, with the run's model.norm and train.seed; None if none."""
    frames = []
    for _, r in runs.iterrows():
        t = probe_table(results, r["run_id"], probe)
        if t is not None and len(t):
            frames.append(t.assign(norm=r["model.norm"], seed=r["train.seed"]))
    return pd.concat(frames, ignore_index=True) if frames else None


def norm_label(norm):
    return "BN" if norm == "batch" else "no norm" if norm == "none" else norm

