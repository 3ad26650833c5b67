#!/usr/bin/env bash
# Where the CPU goes: the unreplicated volume and a protocol C pair (primary and secondary on this
# machine, as compare.sh runs them), the same fio cases, and per completed request the CPU time of
# each process (utime + stime from /proc/PID/stat, 10 ms ticks) and of fio. From that it prints
# the ceiling the machine's cores put on the pair: cores / (CPU per request of all processes), and
# that ceiling as a ratio of the unreplicated volume's measured rate. Run on demand:
#   bench/replication/cpu-budget.sh [RUNTIME_SECONDS] [BACKING_DIR]      (defaults: 5, /dev/shm)
set -euo pipefail
cd "$(dirname "$0")/../.."
runtime=${1:-5}
backing_dir=${2:-/dev/shm}
me=cpu-budget.sh
. bench/lib.sh
bench_require fio dotnet python3
bench_build Tandem.Bench.NbdServer Tandem.Bench.Replication
plain_host=bench/Tandem.Bench.NbdServer/bin/Release/net10.0/Tandem.Bench.NbdServer
repl_host=bench/Tandem.Bench.Replication/bin/Release/net10.0/Tandem.Bench.Replication

bench_dirs tandem-cpu-bench "$backing_dir"

dd if=/dev/zero of="$data/plain.img" bs=1M count=1024 conv=fsync status=none
for f in p s; do dd if=/dev/zero of="$data/$f.img" bs=1M count=1032 conv=fsync status=none; done
"$plain_host" "$data/plain.img" "$work/unrepl.sock" > "$work/unrepl.log" 2>&1 &
pids+=($!); unrepl_pid=$!
read -r port_p port_s < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
"$repl_host" secondary "$data/s.img" "$port_s" "$port_p" C > "$work/s.log" 2>&1 &
pids+=($!); secondary_pid=$!
mkfifo "$work/ctl"
"$repl_host" primary "$data/p.img" "$port_p" "$port_s" C "$work/C.sock" < "$work/ctl" > "$work/p.out" 2> "$work/p.log" &
pids+=($!); primary_pid=$!
exec 5>"$work/ctl"
bench_wait_socket unrepl C
bench_warmup unrepl C

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cores=$(nproc)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $cores cores; backing in $backing_dir; ${runtime}s per run"
printf '%-24s %-7s %9s %10s %10s %10s %10s %9s\n' case server "rate" "srv us/op" "sec us/op" "fio us/op" "all us/op" ceiling
cases=(
  "4k randwrite QD1 flush|--rw=randwrite --bs=4k --iodepth=1 --fsync=1"
  "4k randwrite QD32|--rw=randwrite --bs=4k --iodepth=32"
  "1M seqwrite QD8|--rw=write --bs=1M --iodepth=8"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name args <<<"$c"
  unrepl_rate=0
  for s in unrepl C; do
    main=$([ $s = unrepl ] && echo "$unrepl_pid" || echo "$primary_pid")
    m0=$(ticks "$main"); s0=$(ticks "$secondary_pid")
    fio --name=bench --ioengine=nbd --uri="nbd+unix:///?socket=$work/$s.sock" $args \
        --size=1G --time_based --runtime="$runtime" --output-format=json > "$work/fio.json" 2>/dev/null
    m1=$(ticks "$main"); s1=$(ticks "$secondary_pid")
    line=$(python3 - "$work/fio.json" "$s" "$m0" "$m1" "$s0" "$s1" "$cores" "$unrepl_rate" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
job = json.loads(text[text.index("{"):])["jobs"][0]
w = job["write"]
server, m0, m1, s0, s1, cores, base = sys.argv[2], *map(int, sys.argv[3:8]), float(sys.argv[8])
ios = max(w["total_ios"], 1)
seconds = w["runtime"] / 1000
rate = ios / seconds
main_us = (m1 - m0) * 10000 / ios
sec_us = (s1 - s0) * 10000 / ios if server == "C" else 0.0
fio_us = (job["usr_cpu"] + job["sys_cpu"]) / 100 * seconds * 1e6 / ios
total = main_us + sec_us + fio_us
ceiling = cores * 1e6 / total
note = f"{ceiling / base:.2f}" if base > 0 else "-"
print(f"{rate:.0f} {main_us:.1f} {sec_us:.1f} {fio_us:.1f} {total:.1f} {note}")
PY
)
    read -r rate main_us sec_us fio_us total note <<<"$line"
    [ $s = unrepl ] && unrepl_rate=$rate
    printf '%-24s %-7s %9s %10s %10s %10s %10s %9s\n' "$name" "$s" "$rate" "$main_us" "$([ $s = C ] && echo "$sec_us" || echo -)" "$fio_us" "$total" "$note"
  done
done
echo "(rate: requests per second; us/op: CPU microseconds per request of the server (for C the"
echo " primary), the secondary, fio, and all together; ceiling: the most requests per second the"
echo " $cores cores allow at that CPU cost, as a ratio of the unreplicated volume's measured rate)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
