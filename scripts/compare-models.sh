#!/usr/bin/env bash
# The model comparison and the hold-one-source-out runs behind the README's "Models compared" table.
# Every run: same seed (so the same stream of generated scenes), same batches, same number of steps,
# one data worker; then `melodyfilter eval --set quick --json` on the held-out set.
#   scripts/compare-models.sh OUT_DIR [STEPS] [RUN ...]
# RUN is one of lstm gru mlp raw-lstm synth-only fluid-only (default: all). Takes hours on 2 cores;
# run it in the background (nohup) and read OUT_DIR/*.log.
set -euo pipefail
out=${1:?usage: scripts/compare-models.sh OUT_DIR [STEPS] [RUN ...]}
steps=${2:-300}
shift $(( $# >= 2 ? 2 : 1 ))
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(lstm gru mlp raw-lstm synth-only fluid-only)
here=$(cd "$(dirname "$0")/.." && pwd)
mf="node $here/dist/bin/melodyfilter.js"
mkdir -p "$out"
for run in "${runs[@]}"; do
  batch=16 run_steps=$steps seconds=100000
  case $run in
    # Hold one source out, with the GRU (the shipped network); its "both sources" run is `gru`.
    synth-only) flags=(--arch gru --fluid-share 0) ;;
    fluid-only) flags=(--arch gru --fluid-share 1) ;;
    lstm|gru|mlp) flags=(--arch "$run") ;;
    # 16 × 128 windows, each a 128-step LSTM, exceed wasm's 4 GiB: a quarter of the batch. Even so a
    # batch takes 10–25 s here, so this one gets a time budget (RAW_LSTM_SECONDS) as well as steps.
    raw-lstm) flags=(--arch raw-lstm); batch=4 run_steps=$(( steps * 4 )) seconds=${RAW_LSTM_SECONDS:-1200} ;;
    *) echo "compare-models: unknown run $run" >&2; exit 2 ;;
  esac
  echo "== $run: train ${run_steps} steps of ${batch} $(date -u +%T)" >&2
  start=$(date +%s)
  $mf train "${flags[@]}" --name "cmp-$run" --model "$out/$run" --steps "$run_steps" --seconds "$seconds" \
    --seed 11 --batch "$batch" --frames 128 --renders 8 >"$out/$run.train.log" 2>&1
  echo "$(( $(date +%s) - start ))" >"$out/$run.train-seconds"
  echo "== $run: eval $(date -u +%T)" >&2
  $mf eval --set quick --json -m "$out/$run" >"$out/$run.eval.json" 2>"$out/$run.eval.log"
done
echo "== done $(date -u +%T)" >&2
