#!/usr/bin/env bash
# The model comparison behind the README's "Models compared" table, with the PyTorch trainer: every
# network trains for the same number of steps on the same shards (one pool, seed 11), then
# `melodyfilter eval --set quick --json` scores it on the held-out set.
#   scripts/compare-models.sh OUT_DIR STEPS [RUN ...]
# RUN is one of lstm gru mlp raw-lstm (default: all), or synth-only / fluid-only: the hold-one-source-out
# GRUs. Shards come from scripts/make-shards.ts: DATA (spectrum shards), VAL (validation shards), RAW_DATA
# and RAW_VAL (raw front end, raw-lstm), SYNTH_DATA (--fluid-share 0) and FLUID_DATA (--fluid-share 1).
# The write-up's raw-sample LSTM costs 128 recurrent steps per window, so it trains on RAW_BATCH
# (default 4) sequences per step instead of 16. Run it in the background (nohup) and read OUT_DIR/*.log.
set -euo pipefail
out=${1:?usage: scripts/compare-models.sh OUT_DIR STEPS [RUN ...]}
steps=${2:?usage: scripts/compare-models.sh OUT_DIR STEPS [RUN ...]}
shift 2
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(lstm gru mlp raw-lstm)
here=$(cd "$(dirname "$0")/.." && pwd)
py=${MELODYFILTER_PYTHON:-/usr/bin/python3}
mkdir -p "$out"
for run in "${runs[@]}"; do
  data=${DATA:?set DATA to a shard directory} val=${VAL:-} batch=16 arch=$run
  case $run in
    raw-lstm) data=${RAW_DATA:?set RAW_DATA for raw-lstm} val=${RAW_VAL:-} batch=${RAW_BATCH:-4} ;;
    synth-only) data=${SYNTH_DATA:?set SYNTH_DATA for synth-only} arch=gru ;;
    fluid-only) data=${FLUID_DATA:?set FLUID_DATA for fluid-only} arch=gru ;;
  esac
  echo "== $run: train ${steps} steps of ${batch} $(date -u +%T)" >&2
  start=$(date +%s)
  node "$here/dist/scripts/training-spec.js" "$arch" "cmp-$run" >"$out/$run.spec.json"
  "$py" "$here/trainer/train.py" --spec "$out/$run.spec.json" --data "$data" ${val:+--val "$val"} \
    --run "$out/$run" --steps "$steps" --seconds 1e9 --batch "$batch" --pool 4096 \
    --seed 11 --log-every 100 >"$out/$run.train.log" 2>&1
  echo "$(( $(date +%s) - start ))" >"$out/$run.train-seconds"
  echo "== $run: eval $(date -u +%T)" >&2
  node "$here/dist/bin/melodyfilter.js" eval --set quick --json -m "$out/$run/model" >"$out/$run.eval.json" 2>"$out/$run.eval.log"
done
echo "== done $(date -u +%T)" >&2
