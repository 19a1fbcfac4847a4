#!/usr/bin/env bash
# run_fuzz.sh TARGET SECONDS WORK_CORPUS SEED_CORPUS: one bounded libFuzzer run from the seeds.
# A fixed seed makes a failure reproducible by rerunning the same command.
set -euo pipefail
target=$1 seconds=$2 work=$3 seeds=$4
mkdir -p "$work"
cd "$(dirname "$work")"
exec "$target" -seed=1 -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=10 \
  -print_final_stats=1 "$work" "$seeds"
