"""The rnn figure: learning curves of the LSTM variants (validation accuracy against training
samples seen, so that batch sizes at equal epochs line up), one panel per batch size, and a table of
final test accuracy and steps to the target validation accuracy per variant and batch size."""
import matplotlib.pyplot as plt
import pandas as pd

from .common import md_table, mean_band, norm_colour, pct

LABELS = {"none": "LSTM", "batch_input": "BN on input path (Laurent)", "batch": "BN-LSTM (Cooijmans)",
          "layer": "LN-LSTM (Ba)"}


def plot_rnn(results, runs, metrics, out):
    norms = list(dict.fromkeys(runs["model.norm"]))  # the config's sweep order
    batches = sorted(runs["train.batch_size"].unique())
    fig, axes = plt.subplots(1, len(batches), figsize=(6 * len(batches), 4.8), squeeze=False, sharey=True)
    for ax, b in zip(axes[0], batches):
        for norm in norms:
            m = metrics[(metrics["model.norm"] == norm) & (metrics["train.batch_size"] == b)]
            mean_band(ax, m, "samples", "val_acc", LABELS.get(norm, norm), norm_colour(norm))
        ax.set(xlabel="training samples seen", ylabel="validation accuracy (mean, min-max of seeds)",
               title=f"batch {b}", ylim=(0.5, 0.95))
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    fig.suptitle("rnn: LSTM variants on Fashion-MNIST read row by row (28 steps of 28 pixels)")
    fig.tight_layout()
    fig.savefig(out / "rnn.png", dpi=110)

    rows = []
    for norm in norms:
        for b in batches:
            r = runs[(runs["model.norm"] == norm) & (runs["train.batch_size"] == b)]
            ok = r[r["status"] == "ok"]
            steps = ok["steps_to_target"].dropna()
            rows.append({"variant": LABELS.get(norm, norm), "batch": int(b), "runs": len(r),
                         "not ok": int((r["status"] != "ok").sum()),
                         "final test acc (mean)": pct(ok["final_test_acc"].mean()),
                         "min..max": f"{pct(ok['final_test_acc'].min())}..{pct(ok['final_test_acc'].max())}",
                         "steps to target on validation (per seed)":
                             ", ".join(str(int(s)) for s in steps) + (f" ({len(ok) - len(steps)} never)"
                                                                     if len(steps) < len(ok) else "")})
    return ("Final test accuracy (the runs' test subset) and steps to the target validation accuracy, per "
            "variant and batch size; not ok = diverged or failed:\n\n" + md_table(pd.DataFrame(rows)))
