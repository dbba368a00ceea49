#!/usr/bin/env bash
# `loadpulse http` against the anchors (wrk, ab, hey, k6, Locust) on the same loopback nginx, in one run:
# nginx pinned to core 1, every generator to core 0 (see ../shared/bench/anchors.sh). Prints requests/s
# per tool and mine/anchor ratios.
#
#   bench/http_vs_anchors.sh [-d SECONDS] [-c CONNECTIONS] [--only wrk,k6,...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
anchors=${ANCHORS_SH:-$repo/../shared/bench/anchors.sh}
lp=${LOADPULSE:-$repo/.venv/bin/loadpulse}
exec bash "$anchors" "$@" -- "$lp http {url} -c {connections} -d {duration}s --quiet --no-history --json - \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"requests\"][\"rate\"])'"
