#!/usr/bin/env bash
# Installs the Debian 12 packages bnlab needs, only those that are missing.
#   scripts/setup.sh          build + run (compiler, oneDNN, CLI11, json, spdlog, zlib,
#                             Fashion-MNIST, matplotlib/pandas for plots, help2man for the man page)
#   scripts/setup.sh --test   also what the test suite uses (Catch2; clang, its sanitizer runtimes
#                             and OpenMP for the fuzzer; slurm-wlm and munge for the Slurm test;
#                             procps for pgrep/pkill in the integration scripts)
# It installs with --no-install-recommends, so every package a step needs is listed here by name,
# also those another package only recommends: libdnnl-dev's CMake config (dnnl-config.cmake) looks
# for OpenCL, which comes from ocl-icd-opencl-dev, a mere recommendation of libdnnl-dev. A fresh
# Debian 12 root (../shared/tools/fresh-debian.sh, run by .ci/run) proves the list complete.
set -euo pipefail

packages=(cmake make g++ pkg-config libdnnl-dev ocl-icd-opencl-dev libcli11-dev nlohmann-json3-dev
          libspdlog-dev libfmt-dev zlib1g-dev dataset-fashion-mnist python3 python3-matplotlib python3-pandas
          help2man)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(catch2 clang libclang-rt-14-dev libomp-dev slurm-wlm munge procps)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
