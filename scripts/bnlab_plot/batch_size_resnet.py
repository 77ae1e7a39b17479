"""The batch_size_resnet figure: test error against batch size per norm in two networks (ResNet-20
and the small CNN, one row each) under two lr policies, the test error of BN with its EMA, precise
and batch statistics, and the mechanism by depth (error of mini-batch statistics, gap between the
EMA and the precise population statistics). Means and 95% Student-t intervals over seeds come from
`bnlab summary`; plot.py appends the claims' verdicts (verdict.md)."""
import matplotlib.pyplot as plt
import pandas as pd

from .bnlab_cli import summary
from .common import experiment_name, md_table, norm_colour, norm_label, probe_table

ARCH_LABEL = {"resnet": "ResNet-20", "cnn": "small CNN"}
ERROR_CAP = 45
KEYS = ["model.arch", "optimizer.lr_scaling", "model.norm", "train.batch_size"]
# Test error with each set of BN statistics: runs.csv's column of the accuracy and a line style.
STATISTICS = [("final_test_acc", "EMA (running) statistics", "o-"),
              ("precise_test_acc", "precise population statistics", "s--"),
              ("batch_stats_test_acc", "batch statistics (training batch size)", "^:")]


def error_table(results, runs, metric):
    """Test error (%) = 100 * (1 - metric) per (arch, policy, norm, batch) from `bnlab summary`."""
    t = summary(results, KEYS, metric)
    t[KEYS] = t[KEYS].astype(runs[KEYS].dtypes.to_dict())
    for c in ("mean", "ci95_low", "ci95_high"):
        t[c] = 100 * (1 - t[c])
    return t.rename(columns={"ci95_low": "hi", "ci95_high": "lo"})  # 1 - x flips the interval


def select(frame, arch, policy, norm=None):
    """The rows of one network and lr policy (and norm, when given)."""
    keep = (frame["model.arch"] == arch) & (frame["optimizer.lr_scaling"] == policy)
    return frame[keep & (frame["model.norm"] == norm)] if norm else frame[keep]


def cell(row):
    bad = int(row["n_diverged"] + row["n_failed"])
    if row["n"] == 0:
        return f"all {bad} diverged/failed" if bad else "–"
    text = f"{row['mean']:.1f}"
    if row["n"] > 1:
        text += f" [{row['lo']:.1f}, {row['hi']:.1f}]"
    return text + (f" ({bad} diverged/failed)" if bad else "")


def error_panel(ax, table, arch, policy, norms):
    t = select(table, arch, policy)
    for norm in norms:
        s = t[t["model.norm"] == norm].sort_values("train.batch_size")
        ok = s[s["n"] > 0]
        ax.plot(ok["train.batch_size"], ok["mean"], "o-", color=norm_colour(norm), label=norm_label(norm), ms=4)
        band = ok[ok["n"] > 1]
        ax.fill_between(band["train.batch_size"], band["lo"], band["hi"], color=norm_colour(norm), alpha=0.15, lw=0)
        bad = s[s["n_diverged"] + s["n_failed"] > 0]
        if len(bad):
            ax.scatter(bad["train.batch_size"], [0.97] * len(bad), transform=ax.get_xaxis_transform(), marker="x",
                       color=norm_colour(norm))
    ax.set_xscale("log", base=2)
    # A norm that fails (no norm at a large lr: 90%) would flatten every other line: cut at 45%.
    top = ax.get_ylim()[1]
    if top > ERROR_CAP:
        ax.set_ylim(top=ERROR_CAP)
    ax.set(xlabel="training batch size", ylabel="test error (%), EMA statistics",
           title=f"{ARCH_LABEL.get(arch, arch)}, {policy} lr scaling" + (f" (cut at {ERROR_CAP}%)" if top > ERROR_CAP else ""))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)


def cells_by_batch(rows, batches):
    """One table cell per training batch size ("–" where no run has it)."""
    by_batch = {int(r["train.batch_size"]): cell(r) for _, r in rows.iterrows()}
    return {f"batch {b}": by_batch.get(int(b), "–") for b in batches}


def error_markdown(table, arch, policy, norms, batches):
    t = select(table, arch, policy)
    return md_table(pd.DataFrame([{"norm": norm, **cells_by_batch(t[t["model.norm"] == norm], batches)}
                                  for norm in norms]))


def statistics_panel(ax, tables, arch, policy):
    """BN's test error with EMA, precise and batch statistics against the training batch size."""
    for metric, label, style in STATISTICS:
        t = tables[metric]
        s = select(t, arch, policy, "batch")
        s = s[s["n"] > 0].sort_values("train.batch_size")
        ax.plot(s["train.batch_size"], s["mean"], style, color=norm_colour("batch"), label=label, ms=4)
        band = s[s["n"] > 1]
        ax.fill_between(band["train.batch_size"], band["lo"], band["hi"], color=norm_colour("batch"), alpha=0.1, lw=0)
    ax.set_xscale("log", base=2)
    ax.set(xlabel="training batch size", ylabel="test error (%)",
           title=f"BN in the {ARCH_LABEL.get(arch, arch)}: which statistics ({policy})")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)


def per_layer(results, runs, probe, arch, policy):
    """A per-layer CSV of every BN run of one network and policy, with the run's batch size."""
    frames = []
    sel = select(runs, arch, policy, "batch")
    for _, r in sel.iterrows():
        t = probe_table(results, r["run_id"], probe)
        if t is not None and len(t):
            frames.append(t.assign(train_batch=r["train.batch_size"]))
    return pd.concat(frames, ignore_index=True) if frames else None


def depth_panel(ax, frame, group, label, y, title, ylabel):
    """y against the BN layer's depth (0-based index among the network's BN layers, in the network's
    order: shortcut projections included), one line per value of `group`, mean over runs."""
    g = frame.groupby([group, "layer"])[y].mean().reset_index()
    values = sorted(g[group].unique())
    for (value, s), colour in zip(g.groupby(group), plt.cm.viridis([i / max(1, len(values) - 1) for i in range(len(values))])):
        ax.plot(s["layer"], s[y], "o-", color=colour, ms=3, label=f"{label} {int(value)}")
    ax.set_yscale("log")
    ax.set(xlabel="BN layer (0-based, input to output)", ylabel=ylabel, title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)


def by_layer_markdown(frame, group, label, y):
    """A table: one row per BN layer, one column per value of `group`, the mean of y over runs."""
    t = frame.groupby(["layer", group])[y].mean().unstack(group)
    t.columns = [f"{label} {int(c)}" for c in t.columns]
    return md_table(t.round(4).reset_index())


def plot_batch_size_resnet(results, runs, metrics, out):
    name = experiment_name(results)
    archs = [a for a in ARCH_LABEL if a in set(runs["model.arch"])]
    policies = list(dict.fromkeys(runs["optimizer.lr_scaling"]))
    norms = list(dict.fromkeys(runs["model.norm"]))
    tables = {metric: error_table(results, runs, metric) for metric, _, _ in STATISTICS}
    errors = tables["final_test_acc"]
    batches = sorted(runs["train.batch_size"].unique())
    fig, axes = plt.subplots(len(archs), len(policies) + 3, figsize=(5.2 * (len(policies) + 3), 4.6 * len(archs)),
                             squeeze=False)
    text = ("Test error (%) = 100 x (1 - final test accuracy), EMA (running) statistics unless said otherwise; "
            "mean [95% Student-t interval] over seeds (`bnlab summary`).\n\n")
    for row, arch in enumerate(archs):
        for col, policy in enumerate(policies):
            error_panel(axes[row][col], errors, arch, policy, norms)
            text += f"### {ARCH_LABEL.get(arch, arch)}, {policy} lr scaling\n\n" + error_markdown(errors, arch, policy, norms, batches) + "\n"
        policy = policies[0]
        statistics_panel(axes[row][len(policies)], tables, arch, policy)
        rows = []
        for metric, label, _ in STATISTICS:
            t = tables[metric]
            s = select(t, arch, policy, "batch")
            rows.append({"BN test error with": label, **cells_by_batch(s, batches)})
        text += (f"### BN in the {ARCH_LABEL.get(arch, arch)}: EMA vs precise vs batch statistics ({policy} lr scaling)\n\n"
                 + md_table(pd.DataFrame(rows)) + "\n")
        net = ARCH_LABEL.get(arch, arch)
        ax = axes[row][len(policies) + 1]
        gaps = per_layer(results, runs, "precise_bn", arch, policy)
        if gaps is not None:
            depth_panel(ax, gaps, "train_batch", "trained at batch", "var_gap", f"EMA vs precise variance, {net}",
                        "var_gap = |EMA var / precise var - 1|")
            text += (f"### Gap between EMA and precise statistics per BN layer, {net} ({policy}), mean over seeds "
                     "(precise_bn.csv's var_gap = |EMA var / precise var - 1|, mean over channels; BN layers "
                     "0-based in the network's order)\n\n" + by_layer_markdown(gaps, "train_batch", "trained at batch", "var_gap") + "\n")
        else:
            ax.axis("off")
        ax = axes[row][len(policies) + 2]
        stats = per_layer(results, runs, "batch_stats", arch, policy)
        if stats is not None:
            last = stats[stats["step"] == stats.groupby("train_batch")["step"].transform("max")]
            trained = 32 if (last["train_batch"] == 32).any() else int(last["train_batch"].iloc[0])
            at = last[(last["train_batch"] == trained) & last["batch_size"].notna()]
            depth_panel(ax, at, "batch_size", "mini-batch", "var_error",
                        f"error of mini-batch variance, {net}\n(BN runs trained at batch {trained}, final weights)",
                        "var_error = mean |batch var / population var - 1|")
            text += (f"### Error of mini-batch statistics per BN layer, {net}, BN runs trained at batch {trained} "
                     f"({policy}), final weights, mean over seeds, draws and channels (batch_stats probe: variance "
                     "error relative to the population's)\n\n" + by_layer_markdown(at, "batch_size", "mini-batch", "var_error") + "\n")
        else:
            ax.axis("off")
    fig.suptitle(f"{name}: test error vs batch size (mean, 95% t interval over seeds; x: diverged or failed); "
                 "right: BN's statistics and the EMA-vs-precise gap by depth")
    fig.tight_layout()
    fig.savefig(out / f"{name}.png", dpi=90)
    return text
