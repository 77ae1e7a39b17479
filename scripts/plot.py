#!/usr/bin/python3
"""Plots one bnlab experiment: scripts/plot.py RESULTS_DIR [--out DIR]

RESULTS_DIR is an experiment folder (results/<name>/ with runs.csv, metrics.csv and runs/). The
figure is chosen by the experiment's name (the studies in configs/studies/); any other
experiment gets test accuracy against step for every run. Writes <name>.png and a summary
<name>.md (the numbers the README quotes) into --out (default: RESULTS_DIR).

Uses Debian's python3 with matplotlib and pandas (scripts/setup.sh installs them).
"""
import argparse
import json
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

NORM_STYLE = {  # colour per norm, the same in every figure
    "none": "tab:gray",
    "batch": "tab:blue",
    "layer": "tab:green",
    "group": "tab:orange",
    "batch_renorm": "tab:purple",
    "ghost_batch": "tab:brown",
    "noisy_batch": "tab:red",
}


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
        ax.plot(s["step"], s["value"], style, color=NORM_STYLE[norm], label=f"{p:g}th percentile")
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


# ---- convergence ------------------------------------------------------------------------------


def plot_convergence(results, runs, metrics, out):
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    ax = axes[0]
    for norm in ["none", "batch"]:
        m = metrics[metrics["model.norm"] == norm]
        if len(m):
            mean_band(ax, m, "step", "test_acc", "BN" if norm == "batch" else "no norm", NORM_STYLE[norm])
    ax.set_xscale("log")  # the difference is early: a log axis shows it
    ax.set(xlabel="training step (log scale)", ylabel="test accuracy", title="(a) test accuracy (mean, min-max of seeds)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")

    lines = []
    seed = runs["train.seed"].min()
    for ax, norm, title in [(axes[1], "none", "(b) without BN"), (axes[2], "batch", "(c) with BN")]:
        percentile_panel(ax, results, runs, norm, seed, title, "sigmoid input")
        # drift of the median from its value after the first 1000 steps, per unit and run
        for run_id, n in zip(runs["run_id"], runs["model.norm"]):
            tt = probe_table(results, run_id, "activation_percentiles")
            if tt is None:
                continue
            for unit_, g in tt[tt["percentile"] == 50].groupby("unit"):
                early = g[g["step"] <= 1000]["value"]
                if len(early):
                    lines.append((n, run_id, unit_, early.iloc[-1], g["value"].iloc[-1]))
    # Share the y range of (b) and (c) so the drift compares at a glance.
    share_ylim(axes[1:])
    fig.suptitle("convergence: 784-100-100-100-10 sigmoid MLP, batch 60, SGD (Ioffe & Szegedy 2015, Fig. 1)")
    fig.tight_layout()
    fig.savefig(out / "convergence.png", dpi=110)

    summary = []
    for norm in ["none", "batch"]:
        r = runs[runs["model.norm"] == norm]
        m = metrics[metrics["model.norm"] == norm]
        acc_at = {s: m[m["step"] == s]["test_acc"].mean() for s in (1000, 5000, 10000) if (m["step"] == s).any()}
        summary.append({
            "norm": norm,
            "runs": len(r),
            "test acc @1k": pct(acc_at.get(1000)),
            "@5k": pct(acc_at.get(5000)),
            "@10k": pct(acc_at.get(10000)),
            "final (mean)": pct(r["final_test_acc"].mean()),
            "final min..max": f"{pct(r['final_test_acc'].min())}..{pct(r['final_test_acc'].max())}",
            f"steps to target on {target_set(runs)} (per seed)": ", ".join(
                "never" if pd.isna(v) else str(int(v)) for v in r["steps_to_target"]),
        })
    text = md_table(pd.DataFrame(summary))
    if lines:
        d = pd.DataFrame(lines, columns=["norm", "run_id", "unit", "median_1k", "median_end"])
        d["drift"] = (d["median_end"] - d["median_1k"]).abs()
        text += "\nMedian sigmoid input, |value at the end - value at step 1000|, over units and seeds:\n\n"
        text += md_table(d.groupby("norm")["drift"].agg(["mean", "max"]).round(3).reset_index())
    gaps = []
    for run_id, n in zip(runs["run_id"], runs["model.norm"]):
        t = probe_table(results, run_id, "train_mode_accuracy")
        if t is not None and len(t):
            last = t.iloc[-1]
            gaps.append((n, last["eval_acc"], last["batch_stats_acc"]))
    if gaps:
        g = pd.DataFrame(gaps, columns=["norm", "eval_acc", "batch_stats_acc"]).groupby("norm").mean()
        text += "\nFinal accuracy on 1980 test images, running vs batch statistics (mean over seeds):\n\n"
        text += md_table(g.round(4).reset_index())
    return text


# ---- learning_rate ----------------------------------------------------------------------------


def plot_learning_rate(results, runs, metrics, out):
    archs = [a for a in ["mlp", "cnn"] if a in set(runs.get("model.arch", pd.Series(["mlp"])))]
    fig, axes = plt.subplots(1, len(archs), figsize=(7 * len(archs), 4.6), squeeze=False)
    rows = []
    for ax, arch in zip(axes[0], archs):
        a = runs[runs["model.arch"] == arch] if "model.arch" in runs else runs
        for norm in ["none", "batch"]:
            r = a[a["model.norm"] == norm]
            if not len(r):
                continue
            ok = r[r["status"] == "ok"]
            label = "BN" if norm == "batch" else "no norm"
            g = ok.groupby("optimizer.lr")["final_test_acc"]
            ax.plot(g.mean().index, g.mean().values, "o-", color=NORM_STYLE[norm], label=f"{label} (mean of seeds)")
            ax.scatter(ok["optimizer.lr"], ok["final_test_acc"], color=NORM_STYLE[norm], s=12, alpha=0.5)
            div = r[r["status"] == "diverged"]
            if len(div):
                ax.scatter(div["optimizer.lr"], [0.05 + (0.03 if norm == "batch" else 0)] * len(div), marker="x",
                           s=60, color=NORM_STYLE[norm], label=f"{label}: diverged")
            for lr, g2 in r.groupby("optimizer.lr"):
                okk = g2[g2["status"] == "ok"]
                rows.append({"arch": arch, "norm": norm, "lr": lr,
                             "final test acc (mean)": pct(okk["final_test_acc"].mean()) if len(okk) else "",
                             "diverged": f"{(g2['status'] == 'diverged').sum()}/{len(g2)}"})
        ax.set_xscale("log")
        ax.set(xlabel="learning rate (SGD, momentum 0.9)", ylabel="final test accuracy", ylim=(0, 0.95),
               title=f"{arch}: final test accuracy vs learning rate")
        ax.grid(alpha=0.3, which="both")
        ax.legend(loc="lower left", fontsize=8)
    fig.suptitle("learning_rate: does BN allow higher learning rates? (x near the bottom: the run diverged)")
    fig.tight_layout()
    fig.savefig(out / "learning_rate.png", dpi=110)
    t = pd.DataFrame(rows)
    wide = t.pivot_table(index=["arch", "lr"], columns="norm", values="final test acc (mean)", aggfunc="first")
    div = t.pivot_table(index=["arch", "lr"], columns="norm", values="diverged", aggfunc="first")
    table = wide.join(div, rsuffix=" diverged").reset_index()
    return md_table(table)


# ---- initialization ---------------------------------------------------------------------------


def init_label(text):
    init = json.loads(text) if isinstance(text, str) and text.startswith("{") else {"scheme": str(text)}
    if init.get("scheme") == "normal":
        return f"N(0, {init['std']:g}²)", float(init["std"])
    return init["scheme"], None


def plot_initialization(results, runs, metrics, out):
    runs = runs.copy()
    labels = [init_label(v) for v in runs["init"]]
    runs["init_label"] = [l for l, _ in labels]
    runs["init_std"] = [s for _, s in labels]
    order = sorted({(s if s is not None else float("inf"), l) for l, s in labels})
    order = [l for _, l in order]
    pos = {l: i for i, l in enumerate(order)}
    numeric = {l for l, s in labels if s is not None}
    acts = [a for a in ["sigmoid", "relu"] if a in set(runs["model.activation"])]
    fig, axes = plt.subplots(1, len(acts), figsize=(7.5 * len(acts), 4.8), squeeze=False)
    rows = []
    for ax, act in zip(axes[0], acts):
        a = runs[runs["model.activation"] == act]
        for norm in ["none", "batch"]:
            r = a[a["model.norm"] == norm].copy()
            if not len(r):
                continue
            r["acc"] = r["final_test_acc"].where(r["status"] == "ok")
            g = r.groupby("init_label")["acc"].mean().reindex(order)
            label = "BN" if norm == "batch" else "no norm"
            # a line only through the N(0, std²) scales, an ordered axis; the named schemes
            # (uniform, xavier, he) are categories: markers, not joined
            scaled = [l for l in order if l in numeric]
            ax.plot([pos[l] for l in scaled], g.reindex(scaled).values, "o-", color=NORM_STYLE[norm], label=label)
            named = [l for l in order if l not in numeric]
            ax.plot([pos[l] for l in named], g.reindex(named).values, "s", color=NORM_STYLE[norm], ls="none")
            div = r[r["status"] != "ok"]
            if len(div):
                ax.scatter([pos[l] for l in div["init_label"]], [0.03] * len(div), marker="x", s=60,
                           color=NORM_STYLE[norm], label=f"{label}: diverged/failed")
            for l in order:
                rr = r[r["init_label"] == l]
                rows.append({"activation": act, "init": l, "norm": norm,
                             "acc": pct(rr["acc"].mean()) if rr["acc"].notna().any() else "diverged"})
        ax.axhline(0.1, color="k", lw=0.8, ls=":", label="chance")
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(order, rotation=40, ha="right", fontsize=8)
        ax.set(xlabel="initialization: N(0, std²) by increasing std (line), then the named schemes (squares)",
               ylabel="final test accuracy (mean of seeds)", ylim=(0, 0.95),
               title=f"5 hidden layers, {act}: final test accuracy vs initialization")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower center", fontsize=8)
    fig.suptitle("initialization: is BN less sensitive to the initial weight scale?")
    fig.tight_layout()
    fig.savefig(out / "initialization.png", dpi=110)
    t = pd.DataFrame(rows).pivot_table(index="init", columns=["activation", "norm"], values="acc", aggfunc="first")
    t = t.reindex(order)
    t.columns = [f"{a} {n}" for a, n in t.columns]
    return md_table(t.reset_index())


# ---- regularization ---------------------------------------------------------------------------


def variant(norm, dropout):
    name = {"none": "no norm", "batch": "BN"}.get(norm, norm)
    return f"{name} + dropout {dropout:g}" if dropout > 0 else name


def plot_regularization(results, runs, metrics, out):
    metrics = metrics.copy()
    runs = runs.copy()
    metrics["variant"] = [variant(n, d) for n, d in zip(metrics["model.norm"], metrics["model.dropout"])]
    runs["variant"] = [variant(n, d) for n, d in zip(runs["model.norm"], runs["model.dropout"])]
    variants = [v for v in ["no norm", "BN", "no norm + dropout 0.5", "BN + dropout 0.5"] if v in set(runs["variant"])]
    colours = dict(zip(["no norm", "BN", "no norm + dropout 0.5", "BN + dropout 0.5"],
                       ["tab:gray", "tab:blue", "tab:orange", "tab:green"]))
    fig, axes = plt.subplots(1, 2, figsize=(15, 4.8))
    for v in variants:
        m = metrics[metrics["variant"] == v]
        mean_band(axes[0], m, "epoch", "test_acc", f"{v}: test", colours[v])
        axes[0].plot(m.groupby("epoch")["train_acc"].mean(), ":", color=colours[v], label=f"{v}: train")
        gap = m.assign(gap=m["train_acc"] - m["test_acc"])
        mean_band(axes[1], gap, "epoch", "gap", v, colours[v])
    axes[0].set(xlabel="epoch", ylabel="accuracy", ylim=(0.7, 1.005),
                title="train (dotted) and test (solid) accuracy, mean and min-max of seeds")
    axes[1].set(xlabel="epoch", ylabel="train accuracy - test accuracy", title="generalization gap")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    fig.suptitle("regularization: 784-256-256-10 ReLU MLP on 3,000 training images (test: 10,000)")
    fig.tight_layout()
    fig.savefig(out / "regularization.png", dpi=110)
    rows = []
    for v in variants:
        r = runs[runs["variant"] == v]
        gap = r["final_train_acc"] - r["final_test_acc"]
        rows.append({"variant": v, "runs": len(r),
                     "final train acc": pct(r["final_train_acc"].mean()),
                     "final test acc": pct(r["final_test_acc"].mean()),
                     "gap (train - test)": pct(gap.mean()),
                     "best test acc": pct(r["best_test_acc"].mean()),
                     "best test acc min..max": f"{pct(r['best_test_acc'].min())}..{pct(r['best_test_acc'].max())}"})
    return md_table(pd.DataFrame(rows))


# ---- batch_size (batch_size, batch_size_deep, batch_size_noniid) ---------------------------------

BATCH_NORMS = ["none", "batch", "group", "layer", "batch_renorm", "ghost_batch"]


def policy_label(text):
    """The optimizer section of a run as a short lr-policy name."""
    opt = json.loads(text) if isinstance(text, str) and text.startswith("{") else {}
    lr = opt.get("lr", 0.1)
    base = opt.get("lr_base_batch")
    if base is None:
        return f"fixed lr {lr:g}"
    return f"{opt.get('lr_scaling', 'linear')}-scaled lr ({lr:g} at batch {base})"


def batch_conditions(runs, cfg):
    """The swept conditions other than norm, batch size and seed: one panel each (the lr policy,
    when it is swept; else the config's one)."""
    runs = runs.copy()
    if "optimizer" in runs:
        runs["condition"] = [policy_label(v) for v in runs["optimizer"]]
    else:
        runs["condition"] = policy_label(json.dumps(cfg["optimizer"]))
    return runs, list(dict.fromkeys(runs["condition"]))


def err_stats(frame):
    """Test error per (norm, batch size): mean, min, max over seeds; NaN where a run did not finish ok."""
    f = frame.assign(err=(1 - frame["final_test_acc"]).where(frame["status"] == "ok"))
    return f.groupby(["model.norm", "train.batch_size"])["err"].agg(["mean", "min", "max", "count"])


def plot_batch_size(results, runs, metrics, out):
    name = experiment_name(results)
    cfg = json.loads(next((results / "runs").glob("*/config.json")).read_text())
    runs, conds = batch_conditions(runs, cfg)
    norms = [n for n in BATCH_NORMS if n in set(runs["model.norm"])]
    length = (f"{cfg['train']['epochs']:g} epochs" if cfg["train"].get("epochs") is not None
              else f"{cfg['train']['steps']} steps")
    setting = (f"cnn channels {cfg['model']['channels']}, batching {cfg['data']['batching']}, "
               f"{length} of {cfg['data'].get('train_size') or 60000} images")
    ncol = max(len(conds), 2)
    fig, axes = plt.subplots(2, ncol, figsize=(6.2 * ncol, 9.4), squeeze=False)
    text = f"Setting: {setting}. Test error = 1 - final test accuracy (running statistics), mean over seeds " \
           f"[min..max].\n\n"
    verdicts = []
    for ax, cond in zip(axes[0], conds):
        r = runs[runs["condition"] == cond]
        s = err_stats(r)
        for norm in norms:
            if norm not in s.index.get_level_values(0):
                continue
            e = s.loc[norm]
            ax.plot(e.index, 100 * e["mean"], "o-", color=NORM_STYLE[norm], label=norm, ms=4)
            if (e["count"] > 1).any():
                ax.fill_between(e.index, 100 * e["min"], 100 * e["max"], color=NORM_STYLE[norm], alpha=0.15, lw=0)
            bad = r[(r["model.norm"] == norm) & (r["status"] != "ok")]
            if len(bad):
                ax.scatter(bad["train.batch_size"], [92] * len(bad), marker="x", color=NORM_STYLE[norm])
        ax.set_xscale("log", base=2)
        ax.set(xlabel="batch size", ylabel="test error (%)", title=cond)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
        # the table: error per norm at every batch size
        rows = []
        for norm in norms:
            if norm not in s.index.get_level_values(0):
                continue
            e = s.loc[norm]
            row = {"norm": norm}
            for b, v in e.iterrows():
                row[f"b={b}"] = "" if pd.isna(v["mean"]) else (
                    f"{100 * v['mean']:.1f} [{100 * v['min']:.1f}..{100 * v['max']:.1f}]" if v["count"] > 1
                    else f"{100 * v['mean']:.1f}")
            rows.append(row)
        text += f"### {cond}\n\n" + md_table(pd.DataFrame(rows)) + "\n"
        verdicts.append((cond, s))
    for ax in axes[0][len(conds):]:
        ax.axis("off")
    # BN at batch 2 vs BN at batch 32 and vs GN at batch 2: "clearly" = the seed ranges do not overlap.
    lines = []
    for cond, s in verdicts:
        def cell(norm, b):
            try:
                return s.loc[(norm, b)]
            except KeyError:
                return None
        bn2, bn32, gn2 = cell("batch", 2), cell("batch", 32), cell("group", 2)
        if bn2 is None or bn32 is None:
            continue
        d32 = 100 * (bn2["mean"] - bn32["mean"])
        clear32 = bn2["min"] > bn32["max"]
        line = f"- {cond}: BN error at batch 2 {100 * bn2['mean']:.1f}% vs at batch 32 {100 * bn32['mean']:.1f}% " \
               f"({d32:+.1f} points, {'beyond' if clear32 else 'within'} the seed range)"
        if gn2 is not None:
            dg = 100 * (bn2["mean"] - gn2["mean"])
            line += f"; GN at batch 2 {100 * gn2['mean']:.1f}% (BN {dg:+.1f} points, " \
                    f"{'beyond' if bn2['min'] > gn2['max'] else 'within'} the seed range)"
        lines.append(line)
    if lines:
        text += "BN at batch 2, against BN at batch 32 and GN at batch 2 (seed ranges overlapping = not clear):\n\n"
        text += "\n".join(lines) + "\n\n"

    # (bottom left) running vs batch statistics for the norms that keep running statistics
    ax = axes[1][0]
    # the mechanism panels use the sqrt-scaled policy when it is swept (at a fixed lr every norm
    # collapses at batch 2, which says nothing about statistics), else the one condition
    cond0 = next((c for c in conds if c.startswith("sqrt")), conds[0])
    gaps = []
    for _, row in runs[runs["condition"] == cond0].iterrows():
        if row["model.norm"] not in ("batch", "batch_renorm", "ghost_batch"):
            continue
        t = probe_table(results, row["run_id"], "train_mode_accuracy")
        if t is not None and len(t):
            last = t.iloc[-1]
            gaps.append((row["model.norm"], row["train.batch_size"], last["eval_acc"], last["batch_stats_acc"]))
    if gaps:
        g = pd.DataFrame(gaps, columns=["norm", "batch", "eval_acc", "batch_stats_acc"])
        g = g.groupby(["norm", "batch"]).mean().reset_index()
        for norm, gg in g.groupby("norm"):
            ax.plot(gg["batch"], 100 * (1 - gg["eval_acc"]), "o-", color=NORM_STYLE[norm], ms=4,
                    label=f"{norm}: running statistics")
            ax.plot(gg["batch"], 100 * (1 - gg["batch_stats_acc"]), "s--", color=NORM_STYLE[norm], ms=4,
                    label=f"{norm}: batch statistics (same batch size)")
        ax.set_xscale("log", base=2)
        ax.set(xlabel="batch size", ylabel="test error (%)",
               title=f"test error with running vs batch statistics ({cond0})")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
        t = g.assign(eval_err=(100 * (1 - g["eval_acc"])).round(1),
                     batch_stats_err=(100 * (1 - g["batch_stats_acc"])).round(1))[["norm", "batch", "eval_err",
                                                                                    "batch_stats_err"]]
        text += f"Test error (%) with running statistics (eval) and with the batch's own statistics at the " \
                f"training batch size, {cond0}, mean over seeds:\n\n" + md_table(t) + "\n"
    else:
        ax.axis("off")

    # (bottom middle) estimation error of batch statistics against the population
    ax = axes[1][1]
    est = []
    for _, row in runs[(runs["condition"] == cond0) & (runs["model.norm"] == "batch")].iterrows():
        t = probe_table(results, row["run_id"], "batch_stats")
        if t is not None and len(t):
            t = t[t["step"] == t["step"].max()]
            est.append(t.assign(train_batch=row["train.batch_size"]))
    if est:
        e = pd.concat(est)
        e = e[e["batch_size"].notna()]
        e = e.astype({"layer": int, "batch_size": int})
        g = e.groupby(["layer", "batch_size"])[["mean_error", "var_error"]].mean().reset_index()
        for (layer, gg), colour in zip(g.groupby("layer"), ["tab:blue", "tab:orange", "tab:green", "tab:red"]):
            ax.plot(gg["batch_size"], gg["mean_error"], "o-", color=colour, ms=4, label=f"BN layer {layer}: mean")
            ax.plot(gg["batch_size"], gg["var_error"], "s--", color=colour, ms=4, label=f"BN layer {layer}: variance")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set(xlabel="mini-batch size", ylabel="relative error vs population",
               title="error of mini-batch statistics (BN runs, final weights)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
        text += "Error of mini-batch statistics against the statistics of the training set at the final " \
                "weights (BN runs, mean over runs, draws and channels): mean error in units of the population " \
                "std, variance error relative:\n\n" + md_table(g.round(4)) + "\n"
    else:
        ax.axis("off")
    for ax in axes[1][2:]:
        ax.axis("off")
    fig.suptitle(f"{name}: test error vs batch size ({setting}); x: run diverged or failed")
    fig.tight_layout()
    fig.savefig(out / f"{name}.png", dpi=100)
    return text


# ---- interpretability -------------------------------------------------------------------------


def spearman(x, y):
    """Spearman's rho with average ranks for ties (NaN for a constant side), as the C++ probe."""
    rx, ry = pd.Series(list(x)).rank(), pd.Series(list(y)).rank()
    if len(rx) < 2 or rx.nunique() < 2 or ry.nunique() < 2:
        return float("nan")
    return float(rx.corr(ry))


def plot_interpretability(results, runs, metrics, out):
    ablations, scalings = [], []
    for run_id, norm, seed in zip(runs["run_id"], runs["model.norm"], runs["train.seed"]):
        t = probe_table(results, run_id, "unit_ablation")
        if t is not None and len(t):
            ablations.append(t.assign(norm=norm, seed=seed))
        t = probe_table(results, run_id, "scale_invariance")
        if t is not None and len(t):
            scalings.append(t.assign(norm=norm, seed=seed))
    if not ablations:
        fail(f"{results}: no unit_ablation.csv in any run (did training finish?)")
    a = pd.concat(ablations, ignore_index=True)
    norms = [n for n in ["none", "batch"] if n in set(a["norm"])] + sorted(set(a["norm"]) - {"none", "batch"})
    label = {"none": "no norm", "batch": "BN"}
    markers = ["o", "s", "^", "D", "v"]

    # Spearman per variant, layer and seed: weight norm vs drop (the claim), |gamma| vs drop, and
    # weight norm vs loss increase (finer than accuracy, which ties often).
    rho = []
    for (norm, layer, seed), g in a.groupby(["norm", "layer", "seed"]):
        rho.append({"variant": label.get(norm, norm), "layer": int(layer), "seed": int(seed), "units": len(g),
                    "rho(weight norm, drop)": spearman(g["weight_norm"], g["drop"]),
                    "rho(|gamma|, drop)": spearman(g["gamma"].abs(), g["drop"]) if g["gamma"].notna().all() else float("nan"),
                    "rho(weight norm, loss increase)": spearman(g["weight_norm"], g["loss_increase"]),
                    "base acc": g["base_acc"].iloc[0], "max drop": g["drop"].max()})
    rho = pd.DataFrame(rho)

    panels = [(n, "weight_norm", "incoming weight norm ||W[j,:]||") for n in norms]
    if "batch" in norms and a[a["norm"] == "batch"]["gamma"].notna().any():
        panels.append(("batch", "gamma", "|gamma| of the unit's BN (BN runs)"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.6), squeeze=False)
    for ax, (norm, column, xlabel) in zip(axes[0], panels):
        d = a[a["norm"] == norm]
        key = "rho(weight norm, drop)" if column == "weight_norm" else "rho(|gamma|, drop)"
        parts = []
        for i, (layer, g) in enumerate(d.groupby("layer")):
            x = g[column].abs()
            ax.scatter(x, 100 * g["drop"], s=10, alpha=0.5, marker=markers[i % len(markers)],
                       color=f"C{i}", label=f"layer {int(layer)}")
            r = rho[(rho["variant"] == label.get(norm, norm)) & (rho["layer"] == layer)][key]
            parts.append(f"L{int(layer)} {r.mean():+.2f}")
        ax.set(xlabel=xlabel, ylabel="test accuracy drop when ablated (points)",
               title=f"{label.get(norm, norm)}, {'weight norm' if column == 'weight_norm' else '|gamma|'}: Spearman "
               + ", ".join(parts))
        ax.axhline(0, color="black", linewidth=0.5)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("interpretability: unit importance (ablation drop) vs weight norm, all units and seeds "
                 "(Spearman: mean over seeds)")
    fig.tight_layout()
    fig.savefig(out / "interpretability.png", dpi=110)

    text = "Spearman rank correlation per variant, hidden layer and seed (drop: test accuracy lost when the unit's " \
           "output is forced to 0):\n\n"
    text += md_table(rho.round(4))
    mean = rho.groupby(["variant", "layer"])[[c for c in rho.columns if c.startswith("rho")]].agg(["mean", "min", "max"])
    mean.columns = [f"{c} {s}" for c, s in mean.columns]
    text += "\nMean, min and max over seeds:\n\n" + md_table(mean.round(3).reset_index())
    if scalings:
        s = pd.concat(scalings, ignore_index=True)
        s["variant"] = [label.get(n, n) for n in s["norm"]]
        cols = ["batch_stats_max_rel", "batch_stats_acc_change", "eval_max_rel", "eval_acc_change"]
        g = s.groupby(["variant", "layer", "factor"])[cols].agg(lambda v: v.abs().max()).reset_index()
        text += ("\nScale invariance: one hidden layer's incoming weights (and bias) multiplied by a factor; max |logit "
                 "change| / max |logit| and |accuracy change|, worst over seeds, with batch statistics and with "
                 "running statistics (eval):\n\n")
        text += md_table(g.apply(lambda c: c.map(lambda v: f"{v:.3g}") if c.name in cols else c))
    return text


# ---- ics, landscape (Santurkar et al. 2018) ------------------------------------------------------


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


def plot_ics(results, runs, metrics, out):
    t = probe_tables(results, runs, "ics")
    if t is None:
        fail("ics: no run has an ics.csv (is the ics probe enabled?)")
    layers = [k for k in sorted(t["layer"].unique()) if k > 0]  # layer 0: nothing before it, G' = G
    if not layers:
        fail("ics: only layer 0 recorded (G' = G there); enable later layers")
    fig, axes = plt.subplots(2, len(layers), figsize=(4.6 * len(layers), 7.5), squeeze=False)
    norms = [n for n in ["none", "batch"] if n in set(t["norm"])] + sorted(set(t["norm"]) - {"none", "batch"})
    for c, layer in enumerate(layers):
        for norm in norms:
            d = t[(t["layer"] == layer) & (t["norm"] == norm)]
            colour = NORM_STYLE.get(norm, "black")
            mean_band(axes[0][c], d, "step", "diff_norm", norm_label(norm), colour)
            mean_band(axes[1][c], d, "step", "cosine", norm_label(norm), colour)
        axes[0][c].set(yscale="log", xlabel="training step", ylabel="||G - G'||_2", title=f"weight layer {layer}: l2 difference")
        axes[1][c].set(xlabel="training step", ylabel="cos(G, G')", title=f"weight layer {layer}: cosine", ylim=(-1.05, 1.05))
        for ax in (axes[0][c], axes[1][c]):
            ax.grid(alpha=0.3)
            ax.legend(loc="best")
    fig.suptitle("ics: change of a layer's gradient when the layers before it take their step "
                 "(Santurkar et al. 2018, Fig. 3); mean and min-max of seeds")
    fig.tight_layout()
    fig.savefig(out / "ics.png", dpi=110)

    # Per norm and layer, over all recorded steps after step 1 and over the second half of training.
    half = t["step"].max() / 2
    rows = []
    for norm in norms:
        for layer in layers:
            d = t[(t["norm"] == norm) & (t["layer"] == layer) & (t["step"] > 1)]
            late = d[d["step"] > half]
            rows.append({"norm": norm, "layer": int(layer),
                         "diff_norm (mean)": round(d["diff_norm"].mean(), 4),
                         "diff/grad (mean)": round((d["diff_norm"] / d["grad_norm"]).mean(), 3),
                         "cosine (mean)": round(d["cosine"].mean(), 3),
                         "diff/grad (2nd half)": round((late["diff_norm"] / late["grad_norm"]).mean(), 3),
                         "cosine (2nd half)": round(late["cosine"].mean(), 3)})
    text = ("||G - G'|| and cos(G, G') per weight layer, mean over recorded steps > 1 and seeds "
            "(diff/grad = ||G - G'|| / ||G||):\n\n") + md_table(pd.DataFrame(rows))
    final = runs.groupby("model.norm")["final_test_acc"].mean()
    text += "\nFinal test accuracy (mean over seeds): " + ", ".join(f"{norm_label(n)} {pct(v)}" for n, v in final.items()) + "\n"
    return text


def landscape_per_step(t):
    """Per run and step: loss variation, largest gradient change, effective beta-smoothness."""
    g = t.groupby(["norm", "seed", "step"])
    return pd.DataFrame({
        "loss_range": g["loss"].max() - g["loss"].min(),
        "grad_change": g["grad_change"].max(),
        "beta": g["grad_change_per_distance"].max(),
    }).reset_index()


def plot_landscape(results, runs, metrics, out):
    t = probe_tables(results, runs, "landscape")
    if t is None:
        fail("landscape: no run has a landscape.csv (is the landscape probe enabled?)")
    per = landscape_per_step(t)
    norms = [n for n in ["none", "batch"] if n in set(per["norm"])] + sorted(set(per["norm"]) - {"none", "batch"})
    factors = sorted(f for f in t["factor"].unique() if f > 0)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    panels = [("loss_range", "max_f L_f - min_f L_f", "(a) loss variation"),
              ("grad_change", "max_f ||g_f - g||_2", "(b) gradient predictiveness"),
              ("beta", "max_f ||g_f - g|| / ||w_f - w||", "(c) effective beta-smoothness")]
    for ax, (col, ylabel, title) in zip(axes, panels):
        for norm in norms:
            mean_band(ax, per[per["norm"] == norm], "step", col, norm_label(norm), NORM_STYLE.get(norm, "black"))
        ax.set(yscale="log", xlabel="training step", ylabel=ylabel, title=title)
        ax.grid(alpha=0.3)
        ax.legend(loc="best")
    lr = runs["lr"].iloc[0] if "lr" in runs.columns else metrics["lr"].iloc[0]
    fig.suptitle(f"landscape: along the gradient at f x lr, f in {', '.join(f'{f:g}' for f in factors)} (lr {lr:g}) "
                 "(Santurkar et al. 2018, Fig. 4); mean and min-max of seeds")
    fig.tight_layout()
    fig.savefig(out / "landscape.png", dpi=110)

    half = per["step"].max() / 2
    rows = []
    for norm in norms:
        d = per[(per["norm"] == norm) & (per["step"] > 1)]
        late = d[d["step"] > half]
        rows.append({"norm": norm,
                     "loss range (mean)": round(d["loss_range"].mean(), 4),
                     "(2nd half)": round(late["loss_range"].mean(), 4),
                     "grad change (mean)": round(d["grad_change"].mean(), 4),
                     "(2nd half) ": round(late["grad_change"].mean(), 4),
                     "beta (mean)": round(d["beta"].mean(), 3),
                     "(2nd half)  ": round(late["beta"].mean(), 3),
                     "beta (max)": round(d["beta"].max(), 3)})
    text = ("Per recorded step > 1, mean over steps and seeds: loss variation max_f L_f - min_f L_f, "
            "gradient predictiveness max_f ||g_f - g||, effective beta-smoothness max_f ||g_f - g|| / ||w_f - w||:\n\n")
    text += md_table(pd.DataFrame(rows))
    final = runs.groupby("model.norm")["final_test_acc"].mean()
    text += "\nFinal test accuracy (mean over seeds): " + ", ".join(f"{norm_label(n)} {pct(v)}" for n, v in final.items()) + "\n"
    return text


# ---- noisy_bn ---------------------------------------------------------------------------------


def plot_noisy_bn(results, runs, metrics, out):
    norms = [n for n in ["none", "batch", "noisy_batch"] if (runs["model.norm"] == n).any()]
    label = {"none": "no norm", "batch": "BN", "noisy_batch": "noisy BN"}
    fig, axes = plt.subplots(1, 1 + len(norms), figsize=(5.2 * (1 + len(norms)), 4.6))
    ax = axes[0]
    for norm in norms:
        m = metrics[metrics["model.norm"] == norm]
        mean_band(ax, m, "step", "test_acc", label[norm], NORM_STYLE[norm])
    ax.set(xlabel="training step", ylabel="test accuracy", title="(a) test accuracy (mean, min-max of seeds)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")

    seed = runs["train.seed"].min()
    for k, (ax, norm) in enumerate(zip(axes[1:], norms)):
        title = f"({chr(ord('b') + k)}) {label[norm]}"
        percentile_panel(ax, results, runs, norm, seed, title, "ReLU input (training batch)")
    share_ylim(axes[1:])
    fig.suptitle("noisy_bn: BN with injected per-step distribution shift still trains (Santurkar et al. 2018, Sec. 2.1)")
    fig.tight_layout()
    fig.savefig(out / "noisy_bn.png", dpi=110)

    summary = []
    for norm in norms:
        r = runs[runs["model.norm"] == norm]
        summary.append({
            "norm": norm,
            "runs": len(r),
            "final test acc (mean)": pct(r["final_test_acc"].mean()),
            "final min..max": f"{pct(r['final_test_acc'].min())}..{pct(r['final_test_acc'].max())}",
            "best test acc (mean)": pct(r["best_test_acc"].mean()),
            "best min..max": f"{pct(r['best_test_acc'].min())}..{pct(r['best_test_acc'].max())}",
        })
    text = md_table(pd.DataFrame(summary))
    # Drift of the watched unit's percentiles: from the first record to the last (slow drift) and
    # between consecutive records (the step-to-step shift noisy BN injects).
    drift = []
    for run_id, norm in zip(runs["run_id"], runs["model.norm"]):
        t = probe_table(results, run_id, "activation_percentiles")
        if t is None:
            continue
        for (unit, p), g in t.groupby(["unit", "percentile"]):
            v = g.sort_values("step")["value"]
            if len(v) > 1:
                drift.append((norm, run_id, unit, p, abs(v.iloc[-1] - v.iloc[0]), v.diff().abs().mean(), v.std()))
    if drift:
        d = pd.DataFrame(drift, columns=["norm", "run_id", "unit", "percentile", "first_to_last", "step_to_step",
                                         "std_over_time"])
        text += ("\nPercentiles of the watched unit's pre-activation over the training batch: |last - first|, "
                 "mean |change between consecutive records| and the standard deviation over time "
                 "(mean over seeds):\n\n")
        text += md_table(d.groupby(["norm", "percentile"])[["first_to_last", "step_to_step", "std_over_time"]]
                         .mean().round(3).reset_index())
    return text


# ---- overhead ---------------------------------------------------------------------------------


OVERHEAD_VARIANTS = [  # (key, label, colour, style)
    ("none", "no norm", "tab:gray", "-"),
    ("bn_fused", "BN, BN+ReLU fused", "tab:blue", "-"),
    ("bn_separate", "BN, BN and ReLU separate", "tab:cyan", "--"),
]


def overhead_frame(results, runs):
    """One row per ok run: arch, variant, batch, training ms per step and the inference_cost rows."""
    rows = []
    for _, r in runs.iterrows():
        if r["status"] != "ok":
            continue
        model = json.loads(r["model"]) if "model" in runs else {}
        config = json.loads((results / "runs" / r["run_id"] / "config.json").read_text())
        model = {**config.get("model", {}), **model}
        norm = model.get("norm", "batch")
        if norm == "none":
            variant = "none"
        elif norm == "batch":
            variant = "bn_fused" if model.get("fuse_norm_relu", True) else "bn_separate"
        else:
            continue
        row = {"arch": model.get("arch", "mlp"), "variant": variant, "batch": int(config["train"]["batch_size"]),
               "train_ms": r["ms_per_step"], "infer_ms": math.nan, "folded_ms": math.nan,
               "fold_diff": math.nan, "logit_scale": math.nan}
        t = probe_table(results, r["run_id"], "inference_cost")
        if t is not None and len(t):
            u = t[t["folded"] == 0]
            f = t[t["folded"] == 1]
            if len(u):
                row["infer_ms"] = u["ms_median"].iloc[-1]
            if len(f):
                row["folded_ms"] = f["ms_median"].iloc[-1]
                row["fold_diff"] = f["max_abs_diff"].iloc[-1]
                row["logit_scale"] = f["max_abs_logit"].iloc[-1]
        rows.append(row)
    return pd.DataFrame(rows)


def plot_overhead(results, runs, metrics, out):
    d = overhead_frame(results, runs)
    if not len(d):
        fail("overhead: no finished runs")
    # mean over repeated cells (seeds), by arch, variant and batch size
    g = d.groupby(["arch", "variant", "batch"]).mean(numeric_only=True)
    archs = [a for a in ["mlp", "cnn"] if a in set(d["arch"])]
    fig, axes = plt.subplots(2, len(archs), figsize=(7 * len(archs), 9), squeeze=False)
    table = []

    def series(arch, variant, column):
        try:
            return g.loc[(arch, variant)][column]
        except KeyError:
            return pd.Series(dtype=float)

    for col, arch in enumerate(archs):
        none_train, none_infer = series(arch, "none", "train_ms"), series(arch, "none", "infer_ms")
        ax = axes[0][col]
        ax.axhline(1, color="tab:gray", linewidth=1)
        for variant, label, colour, style in OVERHEAD_VARIANTS[1:]:
            ratio = (series(arch, variant, "train_ms") / none_train).dropna()
            ax.plot(ratio.index, ratio.values, "o" + style, color=colour, label=f"training step: {label}")
        infer = (series(arch, "bn_fused", "infer_ms") / none_infer).dropna()
        ax.plot(infer.index, infer.values, "s:", color="tab:orange", label="inference: BN (running statistics)")
        folded = (series(arch, "bn_fused", "folded_ms") / none_infer).dropna()
        ax.plot(folded.index, folded.values, "^:", color="tab:green", label="inference: BN folded into the layer before")
        batches = sorted(set(d[d["arch"] == arch]["batch"]))
        ax.set_xscale("log", base=2)
        ax.set_xticks(batches, [str(b) for b in batches])
        ax.set(xlabel="batch size", ylabel="time with BN / time without BN",
               title=f"{arch}: BN overhead ratio vs batch size")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)

        ax = axes[1][col]
        for variant, label, colour, style in OVERHEAD_VARIANTS:
            t = series(arch, variant, "train_ms").dropna()
            ax.plot(t.index, t.values, "o" + style, color=colour, label=f"training step: {label}")
        for variant, label, colour, style in OVERHEAD_VARIANTS[:2]:
            i = series(arch, variant, "infer_ms").dropna()
            ax.plot(i.index, i.values, "s:", color=colour, alpha=0.7, label=f"inference: {label}")
        f = series(arch, "bn_fused", "folded_ms").dropna()
        ax.plot(f.index, f.values, "^:", color="tab:green", label="inference: BN folded")
        ax.set_xscale("log", base=2)
        ax.set_xticks(batches, [str(b) for b in batches])
        ax.set_yscale("log")
        ax.set(xlabel="batch size", ylabel="ms (training: per step; inference: per batch)", title=f"{arch}: time")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)

        for batch in batches:
            def at(variant, column):
                v = series(arch, variant, column)
                return v.get(batch, math.nan)

            def ms(v):
                return "" if isinstance(v, float) and math.isnan(v) else f"{v:.3g}"

            def ratio(a, b):
                return "" if math.isnan(a) or math.isnan(b) or b == 0 else f"{a / b:.2f}"

            diff, scale = at("bn_fused", "fold_diff"), at("bn_fused", "logit_scale")
            table.append({
                "arch": arch, "batch": batch,
                "train ms, none": ms(at("none", "train_ms")),
                "train ms, BN fused": ms(at("bn_fused", "train_ms")),
                "train ms, BN separate": ms(at("bn_separate", "train_ms")),
                "train ratio fused": ratio(at("bn_fused", "train_ms"), at("none", "train_ms")),
                "train ratio separate": ratio(at("bn_separate", "train_ms"), at("none", "train_ms")),
                "infer ms, none": ms(at("none", "infer_ms")),
                "infer ms, BN": ms(at("bn_fused", "infer_ms")),
                "infer ms, BN folded": ms(at("bn_fused", "folded_ms")),
                "infer ratio BN": ratio(at("bn_fused", "infer_ms"), at("none", "infer_ms")),
                "infer ratio folded": ratio(at("bn_fused", "folded_ms"), at("none", "infer_ms")),
                "folded / BN (same run)": ratio(at("bn_fused", "folded_ms"), at("bn_fused", "infer_ms")),
                "max fold diff (rel. to max logit)": "" if math.isnan(diff) else f"{diff:.2g} ({diff / scale:.1g})",
            })
    fig.suptitle("overhead: time with BN / time without, training step (ms_per_step) and inference batch "
                 "(inference_cost probe); median ms")
    fig.tight_layout()
    fig.savefig(out / "overhead.png", dpi=110)
    summary = md_table(pd.DataFrame(table))
    folded = d.dropna(subset=["fold_diff"])
    if len(folded):
        worst = folded.loc[(folded["fold_diff"] / folded["logit_scale"]).idxmax()]
        summary += (f"\nLargest folded-vs-unfolded logit difference over all runs: {folded['fold_diff'].max():.3g} "
                    f"(relative to the largest logit: {(folded['fold_diff'] / folded['logit_scale']).max():.2g}, "
                    f"{worst['arch']} at batch {int(worst['batch'])}).\n")
    mlp_widths = [json.loads(m).get("hidden", [100, 100, 100]) for m in runs.get("model", pd.Series(dtype=str))
                  if json.loads(m).get("arch") == "mlp"]
    if mlp_widths and all(w % 16 for ws in mlp_widths for w in ws):
        summary += ("\nThe mlp's hidden widths are not multiples of 16, where oneDNN 2.6 has no fast fused "
                    "BN+ReLU kernel: the builder keeps BN and ReLU separate, so its fused and separate runs "
                    "are the same network (their difference is timing noise).\n")
    return summary


# ---- anything else ----------------------------------------------------------------------------


def plot_generic(name, results, runs, metrics, out):
    swept = [c for c in metrics.columns if c not in
             {"run_id", "step", "epoch", "samples", "lr", "train_loss", "train_acc", "test_loss", "test_acc",
              "val_loss", "val_acc", "wall_s"}]
    fig, ax = plt.subplots(figsize=(8, 5))
    for run_id, m in metrics.groupby("run_id", sort=False):
        label = ", ".join(f"{c}={m[c].iloc[0]}" for c in swept) or run_id
        ax.plot(m["step"], m["test_acc"], label=label)
    ax.set(xlabel="training step", ylabel="test accuracy", title=name)
    ax.grid(alpha=0.3)
    if metrics["run_id"].nunique() <= 12:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / f"{name}.png", dpi=110)
    # best_val_acc where a validation set was held out (data.val_size); older folders have no such column.
    validated = "best_val_acc" in runs.columns and runs["best_val_acc"].notna().any()
    cols = ["run_id", "status"] + [c for c in runs.columns if c in swept] + ["final_test_acc"] + (
        ["final_val_acc", "best_val_acc"] if validated else ["best_test_acc"])
    return md_table(runs[cols])


PLOTS = {
    "convergence": plot_convergence,
    "learning_rate": plot_learning_rate,
    "initialization": plot_initialization,
    "regularization": plot_regularization,
    "batch_size": plot_batch_size,
    "batch_size_deep": plot_batch_size,
    "batch_size_noniid": plot_batch_size,
    "batch_size_ghost": plot_batch_size,
    "interpretability": plot_interpretability,
    "ics": plot_ics,
    "landscape": plot_landscape,
    "noisy_bn": plot_noisy_bn,
    "overhead": plot_overhead,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="experiment folder (results/<name>/)")
    parser.add_argument("--out", type=Path, help="where to write <name>.png and <name>.md (default: RESULTS)")
    args = parser.parse_args()
    results = args.results
    if not results.is_dir():
        fail(f"{results}: not a folder")
    out = args.out or results
    out.mkdir(parents=True, exist_ok=True)
    runs = read_csv(results / "runs.csv")
    metrics = read_csv(results / "metrics.csv")
    name = experiment_name(results)
    if name in PLOTS:
        summary = PLOTS[name](results, runs, metrics, out)
    else:
        summary = plot_generic(name, results, runs, metrics, out)
    (out / f"{name}.md").write_text(summary)
    print(f"wrote {out / (name + '.png')} and {out / (name + '.md')}", file=sys.stderr)


if __name__ == "__main__":
    main()
