"""The training-dynamics figures: convergence (Ioffe & Szegedy 2015, Fig. 1), noisy_bn (Santurkar et
al. 2018, Sec. 2.1) and regularization."""
import matplotlib.pyplot as plt
import pandas as pd

from .common import md_table, mean_band, norm_colour, pct, percentile_panel, probe_table, share_ylim, target_set


# ---- convergence ------------------------------------------------------------------------------


def plot_convergence(results, runs, metrics, out):
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    ax = axes[0]
    for norm in ["none", "batch"]:
        m = metrics[metrics["model.norm"] == norm]
        if len(m):
            mean_band(ax, m, "step", "test_acc", "BN" if norm == "batch" else "no norm", norm_colour(norm))
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


# ---- noisy_bn ---------------------------------------------------------------------------------


def plot_noisy_bn(results, runs, metrics, out):
    norms = [n for n in ["none", "batch", "noisy_batch"] if (runs["model.norm"] == n).any()]
    label = {"none": "no norm", "batch": "BN", "noisy_batch": "noisy BN"}
    fig, axes = plt.subplots(1, 1 + len(norms), figsize=(5.2 * (1 + len(norms)), 4.6))
    ax = axes[0]
    for norm in norms:
        m = metrics[metrics["model.norm"] == norm]
        mean_band(ax, m, "step", "test_acc", label[norm], norm_colour(norm))
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
