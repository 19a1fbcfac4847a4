# Sourced by the benchmark scripts: server CPU time per request under wrk.
# measure_cpu PID URL CONNECTIONS DURATION [extra wrk args] →
#   "requests cpu_us_per_request requests_per_s non_2xx"
# wrk runs pinned to CPU 1 (2 s warm-up first); the server's user + system ticks are read from
# /proc before and after.
measure_cpu() {
  local pid=$1 url=$2 connections=$3 duration=$4
  shift 4
  local hz; hz=$(getconf CLK_TCK)
  taskset -c 1 wrk -t1 -c"$connections" -d2s "$@" "$url" >/dev/null
  local t0; t0=$(awk '{print $14+$15}' /proc/"$pid"/stat)
  local out; out=$(taskset -c 1 wrk -t1 -c"$connections" -d"$duration" "$@" "$url")
  local t1; t1=$(awk '{print $14+$15}' /proc/"$pid"/stat)
  echo "$out" | awk -v ticks=$((t1 - t0)) -v hz="$hz" '/ requests in /{n=$1} /Requests\/sec/{r=$2} /Non-2xx/{e=$NF}
    END {printf "%d %.2f %.0f %d\n", n, ticks/hz*1e6/n, r, e}'
}
