#!/usr/bin/env bash
# Fetch the vendored browser assets again from the npm registry and check them against SOURCE.md's digests.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fetch() {  # package version sha256
    (cd "$work" && npm pack --silent "$1@$2" >/dev/null)
    echo "$3  $work/$1-$2.tgz" | sha256sum --check --quiet
    mkdir -p "$work/$1" && tar xzf "$work/$1-$2.tgz" -C "$work/$1"
}
fetch echarts 6.1.0 681aff88cc1038c3fa941a3a53d1b177a52250b05335efc607d6105ae13be481
mkdir -p echarts-6.1.0
cp "$work/echarts/package/dist/echarts.min.js" "$work/echarts/package/LICENSE" "$work/echarts/package/NOTICE" echarts-6.1.0/
fetch leaflet 1.9.4 84c65a256e50657896f54c33bd857b6849ebe94c817803be818bf32a3dde0b77
mkdir -p leaflet-1.9.4
cp -r "$work/leaflet/package/dist/leaflet.js" "$work/leaflet/package/dist/leaflet.js.map" "$work/leaflet/package/dist/leaflet.css" "$work/leaflet/package/dist/images" \
      "$work/leaflet/package/LICENSE" leaflet-1.9.4/
echo "vendored assets fetched and verified"
