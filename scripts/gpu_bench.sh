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
# off, driven by concurrent clients at concurrency 1, 8 and 64 for
# predict and for explain (kernelshap, budget 256), by bench/serveload/loadgen. Results go to
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
go build -o bin/loadgen ./bench/serveload/loadgen

echo "== lucid bench on $device (explanations against the floor) ==" | tee -a "$out/summary.txt"
timeout 300 bin/lucid bench --device "$device" --sentences "$sentences" --methods kernelshap,lime,occlusion,ig --budgets 256 --json \
  > "$out/bench.json" 2> "$out/bench.err" || echo "lucid bench failed: see $out/bench.err" | tee -a "$out/summary.txt"
head -c 4000 "$out/bench.json" | tee -a "$out/summary.txt"; echo

port=18089
for batching in on off; do
  bin/lucid serve --device "$device" --addr 127.0.0.1:$port --batching "$batching" --max-batch 64 --max-wait 2ms \
    --sessions 2 --max-queue 1024 > "$out/serve_$batching.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do curl -sf http://127.0.0.1:$port/v2/health/ready >/dev/null && break; sleep 0.5; done
  model=$(curl -s http://127.0.0.1:$port/v1/models | sed 's/.*\["\([^"]*\)".*/\1/')
  url=http://127.0.0.1:$port/v1/models/$model
  for conc in 1 8 64; do
    echo "batching $batching, predict, concurrency $conc: $(bin/loadgen --url "$url:predict" --concurrency "$conc" --requests "$requests")" | tee -a "$out/summary.txt"
    echo "batching $batching, explain kernelshap budget 256, concurrency $conc: $(bin/loadgen --url "$url:explain" --params '{"method": "kernelshap", "budget": 256}' --concurrency "$conc" --requests "$explain_requests")" | tee -a "$out/summary.txt"
  done
  curl -s http://127.0.0.1:$port/metrics | grep -E '^lucid_(batch_rows_(sum|count)|model_evaluations_total|model_run_seconds_total|errors_total)' \
    | sed "s/^/batching $batching metrics: /" | tee -a "$out/summary.txt"
  kill -TERM "$pid"; wait "$pid" || true
done
