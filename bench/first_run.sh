#!/usr/bin/env bash
# Seconds from `make run` to the first page answered, in a clone (default: a fresh clone of
# this checkout in a temporary folder). Usage: bench/first_run.sh [CLONE]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$(mktemp -d)/paperfeed}
[ -d "$dir" ] || git clone -q "$here" "$dir"
cd "$dir"
start=$(date +%s.%N)
make run > first_run.log 2>&1 &
pid=$!
until curl -s -o /dev/null http://127.0.0.1:8000/; do
  kill -0 "$pid" 2>/dev/null || { echo "make run stopped: see $dir/first_run.log"; exit 1; }
  sleep 0.5
done
end=$(date +%s.%N)
echo "first page after $(echo "$end - $start" | bc) s (load $(cut -d' ' -f1 /proc/loadavg), $(nproc) cores)"
pkill -f "paperfeed --db var/demo.sqlite serve" || true
