"""The figures of scripts/plot.py: shared helpers (common), what bnlab says about its config
(bnlab_cli), one module per study family, the generic sweep plot (generic) and the table that
picks a figure from the config's plot.figure (figures)."""
import matplotlib

matplotlib.use("Agg")  # files only, never a window; before any module imports pyplot
