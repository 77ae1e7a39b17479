#!/usr/bin/env python3
"""Writes hostile seed inputs for the config fuzzer into DIR (scripts/test.sh calls it for its
temporary corpus). Each sits at or just past one of the limits of docs/cli.md "Limits": libFuzzer
rarely grows such inputs by itself (its inputs start small and grow a few bytes at a time), so
without them the limits and the slow paths behind them would go unexercised.

    tests/fuzz/make_corpus.py DIR
"""
import json
import sys
from pathlib import Path

MAX_DEPTH = 64                 # experiment/json_util.hpp kMaxJsonDepth
MAX_CONFIG_BYTES = 256 * 1024  # kMaxConfigBytes


def nested(depth):
    return "[" * depth + "]" * depth


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    seeds = {
        # nesting: probes is the only key whose value may be any JSON; "probes": {} is 1 level
        "depth_at_limit.json": '{"name": "d", "probes": {"x": %s}}' % nested(MAX_DEPTH - 2),
        "depth_over_limit.json": '{"name": "d", "probes": {"x": %s}}' % nested(MAX_DEPTH - 1),
        "depth_50000.json": '{"name": "d", "probes": %s}' % nested(50000),
        "depth_in_set.txt": "--set probes.x=%s\n{\"name\": \"d\"}" % ("[" * (MAX_DEPTH + 1)),
        # size: just under and just over the config limit
        "size_over_limit.json": json.dumps({"name": "s", "description": "x" * MAX_CONFIG_BYTES}),
        "size_at_limit.json": json.dumps({"name": "s", "description": "x" * (MAX_CONFIG_BYTES - 64)}),
        # sweeps: over the run limit by the product of small lists, and a large list under it
        "sweep_product.json": json.dumps({"name": "p", "sweep": {
            "train.seed": list(range(50)), "optimizer.lr": [0.01 * (i + 1) for i in range(50)],
            "norm.eps": [1e-5 * (i + 1) for i in range(50)]}}),
        "sweep_many_problems.json": json.dumps({"name": "m", "probes": {"activation_percentiles": {"every": 0}},
                                                "sweep": {"train.seed": list(range(2000))}}),
        "sweep_bad_values.json": json.dumps({"name": "b", "sweep": {"optimizer.lr": [-i for i in range(1, 3000)]}}),
        # values that passed validation and then overflowed, exhausted memory or failed every run
        "epochs_overflow.json": '{"name": "e", "data": {"dataset": "synthetic"}, "train": {"epochs": 2e16}}',
        "hidden_huge.json": '{"name": "h", "model": {"hidden": [2000000]}}',
        "cnn_too_deep.json": '{"name": "c", "model": {"arch": "cnn", "channels": [4, 4, 4, 4, 4, 4]}}',
        "name_long.json": json.dumps({"name": "n" * 256}),
        "steps_set_bad.txt": '--set train.steps=0\n{"name": "s", "train": {"epochs": 2}}',
    }
    for name, text in seeds.items():
        (out / name).write_text(text)
    return len(seeds)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(f"{main(sys.argv[1])} hostile seeds written to {sys.argv[1]}")
