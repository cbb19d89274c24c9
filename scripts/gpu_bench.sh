#!/usr/bin/env bash
# scripts/gpu_bench.sh: the serve and explain benchmarks on a CUDA device,
# as one script for a machine with an accelerator (issue 9, item 5).
#
#   scripts/gpu_bench.sh [DEVICE]        # DEVICE defaults to cuda:0
#   REQUESTS=40 EXPLAIN_REQUESTS=8 SENTENCES=4 scripts/gpu_bench.sh cpu   # a quick check of the script
#
# It installs the CUDA build of ONNX Runtime (scripts/setup_ort.sh --gpu;
# the npm registry must be reachable, or the cache ~/.cache/lucid filled
# beforehand), builds bin/lucid, runs `lucid bench` (explanations against
# the runtime floor) and then `lucid serve` with dynamic batching on and
# off, driven by concurrent curl clients at concurrency 1, 8 and 64 for
# predict and for explain (kernelshap, budget 256). Results go to
# $OUT/gpu_bench/ when OUT is set, else ./gpu_bench/, and to standard output.
set -euo pipefail
device=${1:-cuda:0}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${OUT:-$root}/gpu_bench
mkdir -p "$out"
cd "$root"

# DEVICE cpu checks the script itself on a machine without a GPU.
if [ "$device" = cpu ]; then lib=$(scripts/setup_ort.sh); else lib=$(scripts/setup_ort.sh --gpu); fi
requests=${REQUESTS:-2000}
explain_requests=${EXPLAIN_REQUESTS:-200}
sentences=${SENTENCES:-32}
export LUCID_ORT_LIB=$lib
echo "ONNX Runtime: $lib" | tee "$out/summary.txt"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | tee -a "$out/summary.txt" || true
go build -o bin/lucid ./cmd/lucid

echo "== lucid bench on $device (explanations against the floor) ==" | tee -a "$out/summary.txt"
timeout 300 bin/lucid bench --device "$device" --sentences "$sentences" --methods kernelshap,lime,occlusion,ig --budgets 256 --json \
  > "$out/bench.json" 2> "$out/bench.err" || echo "lucid bench failed: see $out/bench.err" | tee -a "$out/summary.txt"
head -c 4000 "$out/bench.json" | tee -a "$out/summary.txt"; echo

texts=("a gorgeous, witty, seductive movie" "the plot made no sense" "fine"
  "one of the best films of the year, funny and moving in equal measure" "dull"
  "it is a mess, but an entertaining one" "i would not recommend it to anyone who values their time" "not bad at all")

# drive URL VERB PARAMS CONCURRENCY REQUESTS: prints requests/s and failures.
drive() {
  local url=$1 verb=$2 params=$3 conc=$4 n=$5
  local start end fails
  start=$(date +%s.%N)
  fails=$(seq 1 "$n" | xargs -P "$conc" -I{} sh -c '
    i={}; t="$(printf "%s" "$0" | cut -d"|" -f$(( (i % 8) + 1 )))"
    code=$(curl -s -o /dev/null -w "%{http_code}" -H "Content-Type: application/json" \
      -d "{\"instances\": [\"$t\"]$1}" "$2")
    [ "$code" = 200 ] || echo "$code"' "$(IFS='|'; echo "${texts[*]}")" "$params" "$url:$verb" | wc -l)
  end=$(date +%s.%N)
  echo "$(echo "$n / ($end - $start)" | bc -l | xargs printf '%.1f') requests/s, $fails not 200"
}

port=18089
for batching in on off; do
  bin/lucid serve --device "$device" --addr 127.0.0.1:$port --batching "$batching" --max-batch 64 --max-wait 2ms \
    --sessions 2 --max-queue 1024 > "$out/serve_$batching.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do curl -sf http://127.0.0.1:$port/v2/health/ready >/dev/null && break; sleep 0.5; done
  model=$(curl -s http://127.0.0.1:$port/v1/models | sed 's/.*\["\([^"]*\)".*/\1/')
  url=http://127.0.0.1:$port/v1/models/$model
  for conc in 1 8 64; do
    echo "batching $batching, predict, concurrency $conc: $(drive "$url" predict '' "$conc" "$requests")" | tee -a "$out/summary.txt"
    echo "batching $batching, explain kernelshap budget 256, concurrency $conc: $(drive "$url" explain ', "parameters": {"budget": 256}' "$conc" "$explain_requests")" | tee -a "$out/summary.txt"
  done
  curl -s http://127.0.0.1:$port/metrics | grep -E '^lucid_(batch_rows_(sum|count)|model_evaluations_total|model_run_seconds_total|errors_total)' \
    | sed "s/^/batching $batching metrics: /" | tee -a "$out/summary.txt"
  kill -TERM "$pid"; wait "$pid" || true
done
