#!/usr/bin/env bash
# Tandem's NBD server against nbdkit's file plugin, side by side, same machine, same kind of
# backing file, same client (fio's nbd engine over a Unix socket). Run on demand:
#   bench/nbd/compare.sh [RUNTIME_SECONDS] [BACKING_DIR]      (defaults: 5, /dev/shm)
# BACKING_DIR defaults to /dev/shm (tmpfs: measures the servers, not the disk); pass /tmp (or any
# directory on a real disk) to include the file system. Each server gets its own fresh,
# fully allocated 1 GiB file. Prints IOPS/bandwidth, each ratio Tandem/nbdkit, and the servers'
# peak RSS (VmHWM).
set -euo pipefail
cd "$(dirname "$0")/../.."
runtime=${1:-5}
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

# Written, not just fallocated: the first write to an unwritten extent costs a metadata update
# (and a journal commit on the next fdatasync), which would favour whichever server runs second.
for f in tandem nbdkit; do dd if=/dev/zero of="$data/$f.img" bs=1M count=1024 conv=fsync status=none; done

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
# Warm both up (the .NET server's JIT tiers up, both page caches fill) before anything counts.
for s in tandem nbdkit; do
  fio --name=warmup --ioengine=nbd --uri="nbd+unix:///?socket=$work/$s.sock" --rw=randrw --bs=4k --iodepth=8 \
      --size=1G --time_based --runtime=3 >/dev/null 2>&1
done

best() { python3 -c "import sys; print(max(int(a) for a in sys.argv[1:]))" "$@"; }
for c in "${cases[@]}"; do
  IFS='|' read -r name args field <<<"$c"
  # The machine is shared and noisy: each server is measured twice, in the order T K K T so that
  # neither always runs on a warmer or quieter machine, and its better run counts.
  t1=$(measure tandem "$args" "$field"); k1=$(measure nbdkit "$args" "$field")
  k2=$(measure nbdkit "$args" "$field"); t2=$(measure tandem "$args" "$field")
  t=$(best "$t1" "$t2"); k=$(best "$k1" "$k2")
  unit=$([ "${field%_bw}" != "$field" ] && echo "MiB/s" || echo "IOPS")
  ratio=$(python3 -c "print(f'{$t / max($k, 1):.2f}')")
  printf '%-28s %8s %5s %8s %5s %8s\n' "$name" "$t" "$unit" "$k" "$unit" "$ratio"
done
echo "peak RSS (VmHWM): tandem $(awk '/VmHWM/ {print $2, $3}' /proc/$tandem_pid/status), nbdkit $(awk '/VmHWM/ {print $2, $3}' /proc/$nbdkit_pid/status)"
