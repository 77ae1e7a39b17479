"""What BN makes a network less sensitive to: the learning rate and the initialization."""
import json

import matplotlib.pyplot as plt
import pandas as pd

from .common import md_table, norm_colour, pct


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
            ax.plot(g.mean().index, g.mean().values, "o-", color=norm_colour(norm), label=f"{label} (mean of seeds)")
            ax.scatter(ok["optimizer.lr"], ok["final_test_acc"], color=norm_colour(norm), s=12, alpha=0.5)
            div = r[r["status"] == "diverged"]
            if len(div):
                ax.scatter(div["optimizer.lr"], [0.05 + (0.03 if norm == "batch" else 0)] * len(div), marker="x",
                           s=60, color=norm_colour(norm), label=f"{label}: diverged")
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
            ax.plot([pos[l] for l in scaled], g.reindex(scaled).values, "o-", color=norm_colour(norm), label=label)
            named = [l for l in order if l not in numeric]
            ax.plot([pos[l] for l in named], g.reindex(named).values, "s", color=norm_colour(norm), ls="none")
            div = r[r["status"] != "ok"]
            if len(div):
                ax.scatter([pos[l] for l in div["init_label"]], [0.03] * len(div), marker="x", s=60,
                           color=norm_colour(norm), label=f"{label}: diverged/failed")
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
