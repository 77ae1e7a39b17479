"""The figures of Santurkar et al. 2018: ics (Fig. 3) and landscape (Fig. 4)."""
import matplotlib.pyplot as plt
import pandas as pd

from .common import fail, md_table, mean_band, norm_colour, norm_label, pct, probe_tables


# ---- ics, landscape (Santurkar et al. 2018) ------------------------------------------------------


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
            colour = norm_colour(norm)
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
            mean_band(ax, per[per["norm"] == norm], "step", col, norm_label(norm), norm_colour(norm))
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
