#!/usr/bin/env bash
# 1,000,000 short lines through `tether send --stdin` into
# `tether listen --count 1000000`, against the same bytes through `nc` into
# `nc -l`, in one run. Needs netcat-openbsd and python3 (for a free port).
#
#   crates/cli/bench/listen_send.sh [LINES] [RUNS]
#
# Each figure is the wall time from starting the sender to the receiver's
# exit (listen stops itself at --count; nc -l at the end of the stream), so
# it includes connecting, printing one line per message (tether, to a file)
# or copying the bytes (nc, to a file). The listener is started first and
# waited for, so its start-up is not counted.
set -euo pipefail

LINES=${1:-1000000}
RUNS=${2:-3}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cargo build --release -q -p tether-cli --manifest-path "$ROOT/Cargo.toml"
TETHER=$ROOT/target/release/tether
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

seq 1 "$LINES" | sed 's/^/message /' > "$WORK/input"
BYTES=$(stat -c %s "$WORK/input")
echo "input: $LINES lines, $BYTES bytes ($(nproc) cores, $(uname -r))"

now() { date +%s.%N; }
rate() { python3 -c "import sys; n, t = int(sys.argv[1]), float(sys.argv[2]); print(f'{t:7.3f} s  {n / t:12,.0f} msg/s')" "$1" "$2"; }

run_tether() { # framing
  local framing=$1
  rm -f "$WORK/err"  # so the port read below is never the last run's
  "$TETHER" listen tcp://127.0.0.1:0 --framing "$framing" --count "$LINES" \
    > "$WORK/out" 2> "$WORK/err" &
  local pid=$!
  local port=""
  for _ in $(seq 1 500); do
    port=$(sed -n 's/^listening on tcp:\/\/127.0.0.1:\([0-9]*\) .*/\1/p' "$WORK/err" 2>/dev/null || true)
    [ -n "$port" ] && break
    sleep 0.01
  done
  local t0; t0=$(now)
  "$TETHER" send "tcp://127.0.0.1:$port" --framing "$framing" --stdin < "$WORK/input"
  wait "$pid"
  local t1; t1=$(now)
  local got; got=$(wc -l < "$WORK/out")
  [ "$got" -eq "$LINES" ] || { echo "tether listen printed $got lines, not $LINES" >&2; exit 1; }
  echo "tether --framing $(printf '%-6s' "$framing") $(rate "$LINES" "$(echo "$t1 - $t0" | bc)")   [$(tail -1 "$WORK/err")]"
}

run_nc() {
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  nc -l 127.0.0.1 "$port" < /dev/null > "$WORK/out" &
  local pid=$!
  for _ in $(seq 1 500); do
    ss -ltn "sport = :$port" | grep -q LISTEN && break
    sleep 0.01
  done
  local t0; t0=$(now)
  nc -N 127.0.0.1 "$port" < "$WORK/input"
  wait "$pid"
  local t1; t1=$(now)
  cmp -s "$WORK/input" "$WORK/out" || { echo "nc -l received different bytes" >&2; exit 1; }
  echo "nc -> nc -l              $(rate "$LINES" "$(echo "$t1 - $t0" | bc)")   (bytes only)"
}

for run in $(seq 1 "$RUNS"); do
  echo "run $run"
  run_tether line
  run_tether length
  run_nc
done
