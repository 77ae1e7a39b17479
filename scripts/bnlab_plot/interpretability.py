"""The interpretability figure: unit importance against weight norm and |gamma|."""
import matplotlib.pyplot as plt
import pandas as pd

from .common import fail, md_table, probe_table


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
