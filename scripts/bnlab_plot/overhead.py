"""The overhead figure: time with BN / time without, training and inference."""
import json
import math

import matplotlib.pyplot as plt
import pandas as pd

from .common import fail, md_table, probe_table


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
