"""The study figures by the name a config gives in plot.figure. bnlab's schema holds the same list
(the names `bnlab validate` accepts): check_names() says where the two differ."""
from . import batch_size, batch_size_resnet, geometry, interpretability, overhead, recurrent, sensitivity, training
from .bnlab_cli import figure_names
from .common import fail

FIGURES = {
    "convergence": training.plot_convergence,
    "learning_rate": sensitivity.plot_learning_rate,
    "initialization": sensitivity.plot_initialization,
    "regularization": training.plot_regularization,
    "batch_size": batch_size.plot_batch_size,
    "batch_size_resnet": batch_size_resnet.plot_batch_size_resnet,
    "interpretability": interpretability.plot_interpretability,
    "ics": geometry.plot_ics,
    "landscape": geometry.plot_landscape,
    "noisy_bn": training.plot_noisy_bn,
    "overhead": overhead.plot_overhead,
    "rnn": recurrent.plot_rnn,
}


def check_names():
    schema = set(figure_names())
    if schema != set(FIGURES):
        fail("bnlab's plot.figure values and scripts/bnlab_plot/figures.py differ: only in bnlab: "
             f"{sorted(schema - set(FIGURES)) or 'none'}; only here: {sorted(set(FIGURES) - schema) or 'none'}")


def figure_of(run_configs):
    """The plot.figure the runs' configs name (None: none does). Runs made before plot.figure existed
    name none; a folder whose runs name two different figures is refused."""
    named = {c.get("plot", {}).get("figure") for c in run_configs} - {None}
    if len(named) > 1:
        fail(f"the runs' configs name different figures ({', '.join(sorted(named))}); choose one with --figure")
    return named.pop() if named else None
