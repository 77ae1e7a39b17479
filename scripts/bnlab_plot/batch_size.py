"""The batch_size figure (the studies batch_size, batch_size_deep, batch_size_noniid, batch_size_ghost)."""
import json

import matplotlib.pyplot as plt
import pandas as pd

from .common import experiment_name, md_table, norm_colour, probe_table


# ---- batch_size (batch_size, batch_size_deep, batch_size_noniid) ---------------------------------

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
    norms = list(dict.fromkeys(runs["model.norm"]))  # in the order the config's sweep lists them
    length = (f"{cfg['train']['epochs']:g} epochs" if cfg["train"].get("epochs") is not None
              else f"{cfg['train']['steps']} steps")
    setting = (f"cnn channels {cfg['model']['channels']}, batching {cfg['data']['batching']}, "
               f"{length} of {cfg['data'].get('train_size') or 60000} images")
    ncol = max(len(conds), 2)
    fig, axes = plt.subplots(2, ncol, figsize=(6.2 * ncol, 9.4), squeeze=False)
    text = f"Setting: {setting}. Test error = 1 - final test accuracy (running statistics), mean over seeds " \
           f"[min..max].\n\n"
    for ax, cond in zip(axes[0], conds):
        r = runs[runs["condition"] == cond]
        s = err_stats(r)
        for norm in norms:
            if norm not in s.index.get_level_values(0):
                continue
            e = s.loc[norm]
            ax.plot(e.index, 100 * e["mean"], "o-", color=norm_colour(norm), label=norm, ms=4)
            if (e["count"] > 1).any():
                ax.fill_between(e.index, 100 * e["min"], 100 * e["max"], color=norm_colour(norm), alpha=0.15, lw=0)
            bad = r[(r["model.norm"] == norm) & (r["status"] != "ok")]
            if len(bad):
                ax.scatter(bad["train.batch_size"], [92] * len(bad), marker="x", color=norm_colour(norm))
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
    for ax in axes[0][len(conds):]:
        ax.axis("off")
    # The claims (BN at batch 2 vs 32, GN vs BN) are judged by `bnlab verdict` with paired intervals;
    # plot.py appends its table. No judgment by seed ranges here.

    # (bottom left) running vs batch statistics for the norms that keep running statistics
    ax = axes[1][0]
    # the mechanism panels use the sqrt-scaled policy when it is swept (at a fixed lr every norm
    # collapses at batch 2, which says nothing about statistics), else the one condition
    cond0 = next((c for c in conds if c.startswith("sqrt")), conds[0])
    gaps, scored = [], set()  # scored: test images the probe scored (its samples), for the title
    for _, row in runs[runs["condition"] == cond0].iterrows():
        if row["model.norm"] not in ("batch", "batch_renorm", "ghost_batch"):
            continue
        t = probe_table(results, row["run_id"], "train_mode_accuracy")
        if t is not None and len(t):
            last = t.iloc[-1]
            scored.add(int(last["samples"]))
            gaps.append((row["model.norm"], row["train.batch_size"], last["eval_acc"], last["batch_stats_acc"]))
    if gaps:
        g = pd.DataFrame(gaps, columns=["norm", "batch", "eval_acc", "batch_stats_acc"])
        g = g.groupby(["norm", "batch"]).mean().reset_index()
        for norm, gg in g.groupby("norm"):
            ax.plot(gg["batch"], 100 * (1 - gg["eval_acc"]), "o-", color=norm_colour(norm), ms=4,
                    label=f"{norm}: running statistics")
            ax.plot(gg["batch"], 100 * (1 - gg["batch_stats_acc"]), "s--", color=norm_colour(norm), ms=4,
                    label=f"{norm}: batch statistics (same batch size)")
        ax.set_xscale("log", base=2)
        images = ", ".join(f"{n:,}" for n in sorted(scored))
        ax.set(xlabel="batch size", ylabel="test error (%)",
               title=f"test error with running vs batch statistics ({cond0}; first {images} test images)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
        t = g.assign(eval_err=(100 * (1 - g["eval_acc"])).round(1),
                     batch_stats_err=(100 * (1 - g["batch_stats_acc"])).round(1))[["norm", "batch", "eval_err",
                                                                                    "batch_stats_err"]]
        text += f"Test error (%) with running statistics (eval) and with the batch's own statistics at the " \
                f"training batch size, {cond0}, on the first {images} test images, mean over seeds:\n\n" + md_table(t) + "\n"
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
