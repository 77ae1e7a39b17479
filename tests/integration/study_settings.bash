# The shortened version of every study that CI runs (tests/integration/studies.sh) and that
# scripts/study_results.sh reproduces for before/after comparisons: one definition for both, so the
# comparison always runs what CI runs. Sourced; not a test itself.

# study_args NAME BNLAB: sets the array `study_args` to the `bnlab run` arguments that shorten
# study NAME (configs/studies/NAME.json): a Fashion-MNIST subset, 60 steps, one seed, the probes
# every 20 steps, and where the shortened plan still has more than 8 runs one shard of about 6
# (every N-th run of it, so several norms and batch sizes still reach plot.py); `study_sets` to the
# same arguments without the shard (what `bnlab plan` takes). These runs are most
# of the integration tests' CPU, which shares the cores with the sanitized build in scripts/test.sh.
study_args() {
  local name=$1 bnlab=$2 planned
  study_args=(--set data.train_size=1200 --set data.test_size=500 --set train.steps=60 --set train.eval_every=20
              --set 'sweep.train.seed=[1]')  # quoted: callers may set nullglob
  case $name in
    convergence) study_args+=(--set probes.activation_percentiles.every=20
                              --set probes.train_mode_accuracy.samples=300) ;;
    ics) study_args+=(--set probes.ics.every=20) ;;
    landscape) study_args+=(--set probes.landscape.every=20) ;;
    batch_size_resnet) study_args+=(--set probes.batch_stats.samples=600 --set train.precise_bn_samples=256
                                    --set 'sweep.train.batch_size=[2,32]' --set 'probes.batch_stats.batch_sizes=[2,32]') ;;
    batch_size*) study_args+=(--set probes.batch_stats.samples=600) ;;
    overhead) study_args+=(--set probes.inference_cost.repeats=3 --set 'sweep.train.batch_size=[2,32]') ;;
    # an LSTM's evaluation reads every image as 28 steps: a small validation set and a narrow cell
    rnn) study_args+=(--set data.val_size=200 --set model.lstm_hidden=16 --set probes.train_mode_accuracy.samples=100) ;;
  esac
  study_sets=("${study_args[@]}")  # the --set part alone, for `bnlab plan` (which takes no --shard)
  planned=$(($("$bnlab" plan "configs/studies/$name.json" "${study_args[@]}" | wc -l) - 1))
  ((planned > 8)) && study_args+=(--shard "0/$(((planned + 5) / 6))")
  return 0
}
