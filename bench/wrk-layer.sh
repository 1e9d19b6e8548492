#!/usr/bin/env bash
# The CORS layer's cost in a real server, in one go:
#
#   bench/wrk-layer.sh
#
# starts, on 127.0.0.1 only, the axum hello-world of crates/corsgate/examples/wrk_hello.rs three
# times: bare ("plain"), behind corsgate's layer, and behind tower-http's CorsLayer with the same
# policy (benches/fixture). Each server runs on one thread; wrk loads it with an allowed
# cross-origin GET. Runs alternate (plain, corsgate, tower-http, then the next round starting one
# further along), so drift on a busy machine cancels out. Prints requests/s of every run and the
# server's CPU time per request (user + system from /proc/PID/stat over the run, divided by the
# requests served), the median per server, the ratios, and the layer's cost per request: the
# difference in CPU time per request from the plain server.
# Everything it started is stopped when it ends; every run is bounded by DURATION.
#
# Needs: cargo and wrk (Debian: apt-get install -y wrk). With taskset (util-linux) the server is
# put on CPU 0 and wrk on CPU 1.
# Knobs (environment): DURATION=10 (seconds per run) ROUNDS=3 CONNECTIONS=32 WARMUP=2
#                      ORIGIN=http://localhost:5173 (set ORIGIN= for requests without Origin)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-32}
WARMUP=${WARMUP:-2}
ORIGIN=${ORIGIN-http://localhost:5173}
VARIANTS=(plain corsgate tower-http)

for tool in wrk cargo; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool is not installed (Debian: apt-get install -y wrk)" >&2
    exit 2
  fi
done
PIN_SERVER=()
PIN_WRK=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
  PIN_SERVER=(taskset -c 0)
  PIN_WRK=(taskset -c 1)
fi

echo "== building the servers (release)"
cargo build --release --quiet -p corsgate --example wrk_hello
BIN=target/release/examples/wrk_hello

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

declare -A ADDR PID
for v in "${VARIANTS[@]}"; do
  "${PIN_SERVER[@]}" "$BIN" "$v" >"$tmp/$v.out" 2>"$tmp/$v.err" &
  pids+=($!)
  PID[$v]=$!
  for _ in $(seq 100); do
    ADDR[$v]=$(sed -n 's/^listening on //p' "$tmp/$v.out")
    [ -n "${ADDR[$v]}" ] && break
    sleep 0.1
  done
  if [ -z "${ADDR[$v]}" ]; then
    echo "error: the $v server did not start:" >&2
    cat "$tmp/$v.err" >&2
    exit 1
  fi
done

headers=()
[ -n "$ORIGIN" ] && headers=(-H "Origin: $ORIGIN")

TICKS=$(getconf CLK_TCK)
# CPU time (user + system) of a process so far, in clock ticks.
cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}

# One wrk run against a variant; prints requests/s and the server's CPU µs per request.
run() {
  local v=$1 secs=$2 before after out
  before=$(cpu_ticks "${PID[$v]}")
  out=$(timeout $((secs + 30)) "${PIN_WRK[@]}" wrk -t1 -c"$CONNECTIONS" -d"${secs}s" \
    "${headers[@]}" "http://${ADDR[$v]}/")
  after=$(cpu_ticks "${PID[$v]}")
  echo "$out" | awk -v ticks=$((after - before)) -v hz="$TICKS" '
    / requests in / { n = $1 }
    /^Requests\/sec:/ { rps = $2 }
    END { printf "%s %.2f\n", rps, (n > 0 ? ticks / hz * 1e6 / n : 0) }'
}

echo "== check: what each server answers"
for v in "${VARIANTS[@]}"; do
  echo "-- $v"
  curl -si --max-time 5 "${headers[@]}" "http://${ADDR[$v]}/" | tr -d '\r' | grep -iE '^(HTTP|access-control|vary)'
done

echo "== warm-up (${WARMUP}s each, not counted)"
for v in "${VARIANTS[@]}"; do
  run "$v" "$WARMUP" >/dev/null
done

echo "== ${ROUNDS} rounds of ${DURATION}s per server, ${CONNECTIONS} connections, Origin: ${ORIGIN:-(none)}"
n=${#VARIANTS[@]}
for r in $(seq 0 $((ROUNDS - 1))); do
  for i in $(seq 0 $((n - 1))); do
    v=${VARIANTS[$(((r + i) % n))]}
    echo "round $((r + 1)) $v $(run "$v" "$DURATION")" | tee -a "$tmp/results"
  done
done

echo
echo "| server | requests/s (median of $ROUNDS) | vs plain | server CPU µs/request (median) | layer cost µs/request |"
echo "|---|---:|---:|---:|---:|"
awk '
  { rps[$3] = rps[$3] " " $4; cpu[$3] = cpu[$3] " " $5 }
  function median(list,    a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    base = median(rps["plain"]); base_cpu = median(cpu["plain"])
    split("plain corsgate tower-http", order, " ")
    for (k = 1; k <= 3; k++) {
      v = order[k]; m = median(rps[v]); c = median(cpu[v])
      cost = v == "plain" ? "—" : sprintf("%.2f", c - base_cpu)
      printf "| %s | %.0f | ×%.3f | %.2f | %s |\n", v, m, m / base, c, cost
    }
    cg = median(cpu["corsgate"]) - base_cpu; th = median(cpu["tower-http"]) - base_cpu
    printf "\nthroughput corsgate / plain = %.3f, tower-http / plain = %.3f", median(rps["corsgate"]) / base, median(rps["tower-http"]) / base
    if (th > 0) printf "; layer cost corsgate / tower-http = %.2f", cg / th
    printf "\n"
  }' "$tmp/results"
