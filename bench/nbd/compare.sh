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
me=compare.sh
. bench/lib.sh
bench_require fio nbdkit dotnet python3
bench_build Tandem.Bench.NbdServer
host=bench/Tandem.Bench.NbdServer/bin/Release/net10.0/Tandem.Bench.NbdServer
bench_dirs tandem-nbd-bench "$backing_dir"

# Written, not just fallocated: the first write to an unwritten extent costs a metadata update
# (and a journal commit on the next fdatasync), which would favour whichever server runs second.
for f in tandem nbdkit; do dd if=/dev/zero of="$data/$f.img" bs=1M count=1024 conv=fsync status=none; done

"$host" "$data/tandem.img" "$work/tandem.sock" > "$work/tandem.log" 2>&1 &
pids+=($!); tandem_pid=$!
nbdkit --foreground -U "$work/nbdkit.sock" file "$data/nbdkit.img" &
pids+=($!); nbdkit_pid=$!
bench_wait_socket tandem nbdkit

# name | fio arguments | which number (iops or bw)
cases=(
  "4k randwrite QD1 fsync=1|--rw=randwrite --bs=4k --iodepth=1 --fsync=1|write_iops"
  "4k randwrite QD1|--rw=randwrite --bs=4k --iodepth=1|write_iops"
  "4k randwrite QD32|--rw=randwrite --bs=4k --iodepth=32|write_iops"
  "4k randread QD1|--rw=randread --bs=4k --iodepth=1|read_iops"
  "4k randread QD32|--rw=randread --bs=4k --iodepth=32|read_iops"
  "1M seqwrite QD8|--rw=write --bs=1M --iodepth=8|write_bw"
)

echo "backing: 1 GiB fully allocated files in $backing_dir; fio $(fio --version) nbd engine; nbdkit $(nbdkit --version | awk '{print $2}'); runtime ${runtime}s per case"
printf '%-28s %14s %14s %8s\n' case tandem nbdkit ratio
# Warm both up (the .NET server's JIT tiers up, both page caches fill) before anything counts.
bench_warmup tandem nbdkit

for c in "${cases[@]}"; do
  IFS='|' read -r name args field <<<"$c"
  # The machine is shared and noisy: each server is measured twice, in the order T K K T so that
  # neither always runs on a warmer or quieter machine, and its better run counts.
  t1=$(bench_measure tandem "$args" "$field"); k1=$(bench_measure nbdkit "$args" "$field")
  k2=$(bench_measure nbdkit "$args" "$field"); t2=$(bench_measure tandem "$args" "$field")
  t=$(bench_best "$t1" "$t2"); k=$(bench_best "$k1" "$k2")
  unit=$([ "${field%_bw}" != "$field" ] && echo "MiB/s" || echo "IOPS")
  ratio=$(python3 -c "print(f'{$t / max($k, 1):.2f}')")
  printf '%-28s %8s %5s %8s %5s %8s\n' "$name" "$t" "$unit" "$k" "$unit" "$ratio"
done
echo "peak RSS (VmHWM): tandem $(awk '/VmHWM/ {print $2, $3}' /proc/$tandem_pid/status), nbdkit $(awk '/VmHWM/ {print $2, $3}' /proc/$nbdkit_pid/status)"
