#!/usr/bin/env bash
# Installs what building mlpersist needs on Debian (run as root); skips what is already there.
set -euo pipefail
packages=(cmake make g++ libeigen3-dev libcereal-dev libxxhash-dev catch2 "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
