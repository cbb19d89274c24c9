#!/usr/bin/env bash
# beam_image.sh builds the lucid-beam worker image (beam/Dockerfile): Beam's
# Go SDK container, ONNX Runtime from scripts/setup_ort.sh, and models/.
#
#   scripts/beam_image.sh IMAGE          e.g. gcr.io/PROJECT/lucid-beam:1
#   docker push IMAGE
#
# Then run with --environment_type DOCKER --environment_config IMAGE
# (Flink, Spark) or --sdk_container_image IMAGE (Dataflow); see the
# README's "Audits on Beam".
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: scripts/beam_image.sh IMAGE" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
lib=$(scripts/setup_ort.sh | tail -1)
mkdir -p beam/.image
cp "$lib" beam/.image/libonnxruntime.so.1
docker build -f beam/Dockerfile -t "$1" .
