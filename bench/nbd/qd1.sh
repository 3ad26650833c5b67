#!/usr/bin/env bash
# One fio case against Tandem's NBD server and nbdkit's file plugin, alternating, with each
# server's CPU time per request (utime + stime from /proc/PID/stat over the run, 10 ms ticks):
# the harness behind docs/benchmarks.md "QD1 and the wake-up". Run on demand:
#   bench/nbd/qd1.sh "FIO-ARGS" [RUNS] [BACKING_DIR]     (defaults: 3, /dev/shm)
# e.g. bench/nbd/qd1.sh "--rw=randwrite --bs=4k --iodepth=1" 3
# Environment: TANDEM_NBD_SPIN_US sets Tandem's polling window (0: off); SERVER_CPUS and FIO_CPUS
# pin both servers and fio with taskset (e.g. SERVER_CPUS=1 FIO_CPUS=0).
set -euo pipefail
cd "$(dirname "$0")/../.."
fio_args=${1:?usage: bench/nbd/qd1.sh \"FIO-ARGS\" [RUNS] [BACKING_DIR]}
runs=${2:-3}
backing_dir=${3:-/dev/shm}
me=qd1.sh
. bench/lib.sh
bench_require fio nbdkit dotnet python3
bench_build Tandem.Bench.NbdServer
host=bench/Tandem.Bench.NbdServer/bin/Release/net10.0/Tandem.Bench.NbdServer
server_pin=(); fio_pin=()
[ -n "${SERVER_CPUS:-}" ] && server_pin=(taskset -c "$SERVER_CPUS")
[ -n "${FIO_CPUS:-}" ] && fio_pin=(taskset -c "$FIO_CPUS")

bench_dirs tandem-qd1 "$backing_dir"
for f in tandem nbdkit; do dd if=/dev/zero of="$data/$f.img" bs=1M count=1024 conv=fsync status=none; done
"${server_pin[@]}" "$host" "$data/tandem.img" "$work/tandem.sock" > "$work/tandem.log" 2>&1 &
pids+=($!); declare -A pid; pid[tandem]=$!
"${server_pin[@]}" nbdkit --foreground -U "$work/nbdkit.sock" file "$data/nbdkit.img" &
pids+=($!); pid[nbdkit]=$!
bench_wait_socket tandem nbdkit
bench_warmup tandem nbdkit
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
echo "fio $fio_args; backing in $backing_dir; TANDEM_NBD_SPIN_US=${TANDEM_NBD_SPIN_US:-default}; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-7s %10s %14s %18s\n' server IOPS "mean clat us" "server CPU us/req"
for _ in $(seq "$runs"); do
  for s in tandem nbdkit; do
    t0=$(ticks "${pid[$s]}")
    "${fio_pin[@]}" fio --name=bench --ioengine=nbd --uri="nbd+unix:///?socket=$work/$s.sock" $fio_args \
        --size=1G --time_based --runtime=4 --output-format=json > "$work/fio.json" 2>/dev/null
    t1=$(ticks "${pid[$s]}")
    python3 - "$work/fio.json" "$s" "$t0" "$t1" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
job = json.loads(text[text.index("{"):])["jobs"][0]
side = job["write"] if job["write"]["total_ios"] > 0 else job["read"]
ios = max(side["total_ios"], 1)
cpu = (int(sys.argv[4]) - int(sys.argv[3])) * 10000 / ios
print(f"{sys.argv[2]:<7} {side['iops']:>10.0f} {side['clat_ns']['mean'] / 1000:>14.1f} {cpu:>18.1f}")
PY
  done
done
