#!/usr/bin/env bash
# melody-lstm as shipped, remade in one command from stage 3 (the default before 2026-12-06, taken from
# git): the data, stage 4's two trainer runs and the card's tracker settings, as listed in
# models/melody-lstm/README.md ("Stage 4"; its tracker settings: "Sure out of silence, and ends at
# the fall"). Writes WORK_DIR/B/final, a model directory for `melodyfilter -m`. At full size most of
# a day of two cores (the data, then about 1 h per 5,000 steps); SCALE (default 1) multiplies every
# shard and step count, to check the plumbing first (SCALE=0.01: a few minutes).
#   scripts/recipe-melody-lstm.sh WORK_DIR
# Needs a git checkout (stage 3's weights come from its history), `npm run build`, and what
# make-shards and the trainer need (fluidsynth, TiMidity++ with freepats, espeak-ng, PyTorch).
set -euo pipefail
work=${1:?usage: scripts/recipe-melody-lstm.sh WORK_DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
py=${MELODYFILTER_PYTHON:-/usr/bin/python3}
scale=${SCALE:-1}
STAGE3=58aff30 # the commit whose models/melody-lstm is stage 3

n() { awk -v n="$1" -v s="$scale" 'BEGIN { v = int(n * s + 0.5); print (v < 1 ? 1 : v) }'; }
# The trainer's pool: 8,192 examples, or all a scaled-down run has (it waits until the pool is full).
pool() { local examples=$(($1 * 64)); echo $((examples < 8192 ? examples : 8192)); }
shards() { node "$here/dist/scripts/make-shards.js" "$@" --shard-size 64; }
train() { "$py" "$here/trainer/train.py" --seconds 1e9 --threads 1 "$@"; }
# The babble voices training hears (models/melody-lstm-live/README.md; evaluation's are none of them).
V=en,en-us,de,fr,es,it,nl,pl,en+f3,de+f2,fr+f4,es+f1,en+m3,it+croak,nl+whisper,hu,da,ro,tr,el,hi,id,vi,sk,hr,lv,es-419
F=(--fluid-share 0.45 --freepats-share 0.35 --colour 0.3)

mkdir -p "$work"
cd "$work"
mkdir -p stage3
for f in model.json weights.bin; do git -C "$here" show "$STAGE3:models/melody-lstm/$f" >"stage3/$f"; done

shards val --workers 1 --seed 993 --shards "$(n 6)" --renders 10 --noise-share 0.15
shards s81 --workers 2 --seed 81 --shards "$(n 240)" --renders 20 "${F[@]}" --noise-share 0.25
shards s83 --workers 2 --seed 83 --shards "$(n 400)" --renders 20 "${F[@]}" --noise-share 0.25
shards s91 --workers 2 --seed 91 --shards "$(n 160)" --renders 20 "${F[@]}" --noise-share 0.35 \
  --noise-kinds babble,babble,babble,babble,white,pink,brown,hum,buzz,clicks --voices "$V"
shards p92 --workers 2 --seed 92 --shards "$(n 320)" --renders 20 "${F[@]}" --noise-share 0.3 \
  --noise-kinds babble,babble,white,pink,brown,hum,buzz,clicks --voices "$V"
"$py" "$here/trainer/interleave.py" babB "s91:$(n 160)" "s83/*.shard:$(n 200)"
mkdir -p cmp
for d in s81 babB p92; do for f in "$d"/*.shard; do ln -sf "$PWD/$f" "cmp/$d-${f##*/}"; done; done

node "$here/dist/scripts/training-spec.js" lstm melody-lstm >spec.json
a=$(pool "$(ls cmp | wc -l)")
train --spec spec.json --init stage3 --data cmp --val val --run A --out A/final \
  --steps "$(n 10000)" --lr 1e-3 --pool "$a" --min-pool "$a" --seed 19
shards s131 --workers 2 --seed 131 --shards "$(n 240)" --renders 20 --noise-share 0.3
b=$(pool "$(n 240)")
train --spec spec.json --init A/final --data s131 --val val --run B --out B/final \
  --steps "$(n 3000)" --lr 3e-4 --pool "$b" --min-pool "$b" --seed 23
node "$here/dist/scripts/set-decoder.js" B/final \
  '{"silenceThreshold":0.7,"releaseFallDb":9,"fadeHoldFrames":2,"strikeRiseDb":1}'
echo "melody-lstm remade in $work/B/final" >&2
