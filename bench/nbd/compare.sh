#!/usr/bin/env bash
# Tandem's NBD server against nbdkit's file plugin, side by side, same machine, same kind of
# backing file, same client (fio's nbd engine over a Unix socket). Run on demand:
#   bench/nbd/compare.sh [RUNTIME_SECONDS] [BACKING_DIR]
# BACKING_DIR defaults to /dev/shm (tmpfs: measures the servers, not the disk); pass /tmp (or any
# directory on a real disk) to include the file system. Each server gets its own fresh,
# fully allocated 1 GiB file. Prints IOPS/bandwidth, each ratio Tandem/nbdkit, and the servers'
# peak RSS (VmHWM).
set -euo pipefail
cd "$(dirname "$0")/../.."
runtime=${1:-10}
backing_dir=${2:-/dev/shm}
for p in fio nbdkit dotnet; do command -v $p >/dev/null || { echo "compare.sh: $p is not installed" >&2; exit 2; }; done

dotnet build bench/Tandem.Bench.NbdServer -c Release -nologo -v:q -clp:NoSummary >/dev/null
host=bench/Tandem.Bench.NbdServer/bin/Release/net10.0/Tandem.Bench.NbdServer

work=$(mktemp -d /tmp/tandem-nbd-bench.XXXXXX)
data=$(mktemp -d "$backing_dir/tandem-nbd-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work" "$data"
}
trap cleanup EXIT

fallocate -l 1G "$data/tandem.img"
fallocate -l 1G "$data/nbdkit.img"

"$host" "$data/tandem.img" "$work/tandem.sock" > "$work/tandem.log" 2>&1 &
pids+=($!); tandem_pid=$!
nbdkit --foreground -U "$work/nbdkit.sock" file "$data/nbdkit.img" &
pids+=($!); nbdkit_pid=$!
for s in tandem nbdkit; do
  for _ in $(seq 100); do [ -S "$work/$s.sock" ] && break; sleep 0.1; done
  [ -S "$work/$s.sock" ] || { echo "compare.sh: $s did not start" >&2; exit 1; }
done

# name | fio arguments | which number (iops or bw)
cases=(
  "4k randwrite QD1 fsync=1|--rw=randwrite --bs=4k --iodepth=1 --fsync=1|write_iops"
  "4k randwrite QD1|--rw=randwrite --bs=4k --iodepth=1|write_iops"
  "4k randwrite QD32|--rw=randwrite --bs=4k --iodepth=32|write_iops"
  "4k randread QD1|--rw=randread --bs=4k --iodepth=1|read_iops"
  "4k randread QD32|--rw=randread --bs=4k --iodepth=32|read_iops"
  "1M seqwrite QD8|--rw=write --bs=1M --iodepth=8|write_bw"
)

measure() { # server, fio args, field
  local out
  out=$(fio --name=bench --ioengine=nbd --uri="nbd+unix:///?socket=$work/$1.sock" $2 \
            --size=1G --time_based --runtime="$runtime" --ramp_time=2 --output-format=json 2>/dev/null)
  python3 -c '
import json, sys
text = sys.stdin.read()
job = json.loads(text[text.index("{"):])["jobs"][0]
field = sys.argv[1]
side = job["write" if field.startswith("write") else "read"]
print(round(side["iops"]) if field.endswith("iops") else round(side["bw_bytes"] / 1048576))' "$3" <<<"$out"
}

echo "backing: 1 GiB fully allocated files in $backing_dir; fio $(fio --version) nbd engine; nbdkit $(nbdkit --version | awk '{print $2}'); runtime ${runtime}s per case"
printf '%-28s %14s %14s %8s\n' case tandem nbdkit ratio
for c in "${cases[@]}"; do
  IFS='|' read -r name args field <<<"$c"
  # Alternate the order so that neither server always runs on a warmer machine.
  t=$(measure tandem "$args" "$field")
  k=$(measure nbdkit "$args" "$field")
  unit=$([ "${field%_bw}" != "$field" ] && echo "MiB/s" || echo "IOPS")
  ratio=$(python3 -c "print(f'{$t / max($k, 1):.2f}')")
  printf '%-28s %8s %5s %8s %5s %8s\n' "$name" "$t" "$unit" "$k" "$unit" "$ratio"
done
echo "peak RSS (VmHWM): tandem $(awk '/VmHWM/ {print $2, $3}' /proc/$tandem_pid/status), nbdkit $(awk '/VmHWM/ {print $2, $3}' /proc/$nbdkit_pid/status)"
