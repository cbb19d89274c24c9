#!/usr/bin/env bash
# setup_ort.sh installs the ONNX Runtime shared library that Lucid's engine
# loads, from the npm registry (the only place these machines can reach that
# ships it), into a per-user cache folder. It is idempotent: when the library
# is already there with the pinned checksum it returns at once.
#
#   scripts/setup_ort.sh          CPU build: onnxruntime-node@1.30.0
#   scripts/setup_ort.sh --gpu    CUDA build: com.github.asus4.onnxruntime(.linux-x64-gpu)@0.4.9
#
# Prints the installed library's path on its last line. The engine looks in
# the same cache folder, so nothing else needs to be set afterwards.
set -euo pipefail

mode=cpu
case "${1:-}" in
  "") ;;
  --gpu) mode=gpu ;;
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "setup_ort.sh: unknown argument '$1' (want nothing or --gpu)" >&2; exit 2 ;;
esac

cache_root="${LUCID_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lucid}"

# Pinned versions and checksums: a changed upstream file is refused, not used.
CPU_PKG=onnxruntime-node@1.30.0
CPU_MEMBER=package/bin/napi-v6/linux/x64/libonnxruntime.so.1
CPU_SHA=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
GPU_CORE_PKG=com.github.asus4.onnxruntime@0.4.9
GPU_EP_PKG=com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9
GPU_CORE_SHA=5715f06d8992ca8eeeddcce43df3a7d38f97d537052126f558e912cb312460ca
GPU_CUDA_SHA=56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037
GPU_SHARED_SHA=c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "setup_ort.sh: only linux x86_64 is supported here, this is $(uname -s)-$(uname -m)" >&2
  exit 1
fi

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

# fetch PKG MEMBER SHA DEST: npm pack PKG, extract MEMBER, check SHA, move to DEST.
fetch() {
  local pkg=$1 member=$2 sha=$3 dest=$4 tmp tgz
  command -v npm >/dev/null || { echo "setup_ort.sh: npm is needed to fetch $pkg (apt-get install npm)" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  echo "setup_ort.sh: fetching $pkg from the npm registry" >&2
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
  tgz=$(ls "$tmp"/*.tgz)
  tar -xzf "$tgz" -C "$tmp" "$member"
  if ! sha_ok "$tmp/$member" "$sha"; then
    echo "setup_ort.sh: checksum mismatch for $member in $pkg: got $(sha256sum "$tmp/$member" | cut -d' ' -f1), want $sha" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$dest")"
  mv "$tmp/$member" "$dest.part" && mv "$dest.part" "$dest"
}

if [ "$mode" = cpu ]; then
  dir="$cache_root/onnxruntime/1.30.0-cpu"
  lib="$dir/libonnxruntime.so.1"
  sha_ok "$lib" "$CPU_SHA" || fetch "$CPU_PKG" "$CPU_MEMBER" "$CPU_SHA" "$lib"
else
  dir="$cache_root/onnxruntime/1.29.0-gpu"
  lib="$dir/libonnxruntime.so"
  sha_ok "$lib" "$GPU_CORE_SHA" || fetch "$GPU_CORE_PKG" package/Plugins/Linux/x64/libonnxruntime.so "$GPU_CORE_SHA" "$lib"
  # The provider libraries must sit beside the core: ONNX Runtime loads them
  # from the core library's own folder.
  sha_ok "$dir/libonnxruntime_providers_shared.so" "$GPU_SHARED_SHA" ||
    fetch "$GPU_EP_PKG" package/Plugins/Linux/x64/libonnxruntime_providers_shared.so "$GPU_SHARED_SHA" "$dir/libonnxruntime_providers_shared.so"
  sha_ok "$dir/libonnxruntime_providers_cuda.so" "$GPU_CUDA_SHA" ||
    fetch "$GPU_EP_PKG" package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so "$GPU_CUDA_SHA" "$dir/libonnxruntime_providers_cuda.so"
fi
echo "$lib"
