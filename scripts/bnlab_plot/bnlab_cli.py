"""What bnlab itself says: the config schema (norm kinds, figure names) and seed statistics
(`bnlab summary`), so that no list or formula here is a second copy of the C++ one."""
import functools
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from .common import fail

REPO = Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=None)
def bnlab_path():
    """$BNLAB, else the build in this checkout, else bnlab on PATH."""
    if os.environ.get("BNLAB"):
        given = os.environ["BNLAB"]
        if not (Path(given).is_file() and os.access(given, os.X_OK)):
            fail(f"BNLAB={given}: not an executable bnlab")
        return given
    for candidate in (REPO / "build" / "bnlab", shutil.which("bnlab")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    fail("no bnlab binary: set BNLAB=path/to/bnlab, build it (scripts/build.sh) or put it on PATH")


def bnlab(*args):
    """bnlab's stdout; its own one-line message and exit status when it refuses."""
    done = subprocess.run([bnlab_path(), *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()
        fail(message[-1] if message else f"bnlab {args[0]}: exit status {done.returncode}")
    return done.stdout


@functools.lru_cache(maxsize=None)
def config_schema():
    return json.loads(bnlab("schema", "--json-schema"))


def allowed_values(section, key):
    """The enum of a config key in bnlab's JSON Schema, without null."""
    values = config_schema()["properties"][section]["properties"][key]["enum"]
    return [v for v in values if v is not None]


def norm_kinds():
    return allowed_values("model", "norm")


def figure_names():
    return allowed_values("plot", "figure")


def summary(results, keys, metric):
    """`bnlab summary` of one metric grouped by keys: n, mean, sd, ci95_low/high (Student t) per group."""
    text = bnlab("summary", results, "--by", ",".join(keys), "--metric", metric)
    return pd.read_csv(io.StringIO(text))
