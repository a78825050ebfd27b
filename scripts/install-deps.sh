#!/usr/bin/env bash
# Installs the Debian 12 packages drsim needs, non-interactively; does nothing
# when every one of them is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build
  libboost-graph-dev libeigen3-dev nlohmann-json3-dev pybind11-dev catch2 libbenchmark-dev
  python3-dev python3-venv python3-setuptools python3-pip
  python3-numpy python3-pandas python3-matplotlib python3-pytest python3-nbclient
  python3-ipykernel python3-yaml python3-tqdm python3-distributed
  clang-14 libclang-rt-14-dev
  chromium  # drsim report's page is checked in a headless browser (tests/python/test_report.py)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
