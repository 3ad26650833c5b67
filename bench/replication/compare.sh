#!/usr/bin/env bash
# The replicated volume against two baselines, side by side, same machine, same client (fio's nbd
# engine over a Unix socket), same kind of backing file:
#   unrepl  this project's NBD server on a plain FileVolume (bench/Tandem.Bench.NbdServer)
#   nbdkit  nbdkit's file plugin
#   C, A    a ReplicatedVolume pair (bench/Tandem.Bench.Replication: a primary and a secondary
#           process on loopback TCP), protocol C and protocol A, the primary exported over NBD
# and the resync of a 1 GiB volume with 25% of its 4 KiB blocks dirty against nbdcopy of the same
# number of bytes between two nbdkit file exports (best of 5 rounds each, alternating). Run on demand:
#   bench/replication/compare.sh [RUNTIME_SECONDS] [BACKING_DIR]      (defaults: 5, /dev/shm)
# RESYNC_ONLY=1 skips the fio cases.
set -euo pipefail
cd "$(dirname "$0")/../.."
runtime=${1:-5}
backing_dir=${2:-/dev/shm}
me=compare.sh
. bench/lib.sh
bench_require fio nbdkit nbdcopy dotnet python3
bench_build Tandem.Bench.NbdServer Tandem.Bench.Replication
plain_host=bench/Tandem.Bench.NbdServer/bin/Release/net10.0/Tandem.Bench.NbdServer
repl_host=bench/Tandem.Bench.Replication/bin/Release/net10.0/Tandem.Bench.Replication

bench_dirs tandem-repl-bench "$backing_dir"

# Written, not just fallocated (see bench/nbd/compare.sh). The replicas get 8 MiB more for their
# internal metadata, so that each exports at least 1 GiB; both replicas of a pair hold the same
# zeros, which is what lets the pair skip its initial sync.
for f in plain nbdkit; do dd if=/dev/zero of="$data/$f.img" bs=1M count=1024 conv=fsync status=none; done
for f in pC sC pA sA; do dd if=/dev/zero of="$data/$f.img" bs=1M count=1032 conv=fsync status=none; done

"$plain_host" "$data/plain.img" "$work/unrepl.sock" > "$work/unrepl.log" 2>&1 &
pids+=($!); declare -A pid; pid[unrepl]=$!
nbdkit --foreground -U "$work/nbdkit.sock" file "$data/nbdkit.img" &
pids+=($!); pid[nbdkit]=$!
read -r port_pC port_sC port_pA port_sA < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
for proto in C A; do
  sp=port_s$proto; pp=port_p$proto
  "$repl_host" secondary "$data/s$proto.img" "${!sp}" "${!pp}" $proto > "$work/s$proto.log" 2>&1 &
  pids+=($!); pid[s$proto]=$!
  mkfifo "$work/ctl$proto"
  "$repl_host" primary "$data/p$proto.img" "${!pp}" "${!sp}" $proto "$work/$proto.sock" < "$work/ctl$proto" > "$work/p$proto.out" 2> "$work/p$proto.log" &
  pids+=($!); pid[$proto]=$!
done
exec 5>"$work/ctlC" 6>"$work/ctlA"
bench_wait_socket unrepl nbdkit C A

# name | fio arguments | which number (iops or bw)
cases=(
  "4k randwrite QD1 flush each|--rw=randwrite --bs=4k --iodepth=1 --fsync=1|write_iops"
  "4k randwrite QD1|--rw=randwrite --bs=4k --iodepth=1|write_iops"
  "4k randwrite QD32|--rw=randwrite --bs=4k --iodepth=32|write_iops"
  "1M seqwrite QD8|--rw=write --bs=1M --iodepth=8|write_bw"
)

ratio() { python3 -c "print(f'{$1 / max($2, 1):.2f}')"; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "backing: fully written files in $backing_dir; fio $(fio --version) nbd engine; nbdkit $(nbdkit --version | awk '{print $2}'); runtime ${runtime}s per run, best of 2"
if [ -z "${RESYNC_ONLY:-}" ]; then
  bench_warmup unrepl nbdkit C A

  printf '%-26s %9s %9s %9s %9s %7s %7s %8s %8s\n' case unrepl nbdkit C A C/unrepl A/unrepl C/nbdkit A/nbdkit
  servers=(unrepl nbdkit C A)
  for c in "${cases[@]}"; do
    IFS='|' read -r name args field <<<"$c"
    declare -A r1=() r2=() v=()
    # The machine is shared and noisy: each server runs twice, in the order U K C A A C K U, and
    # its better run counts.
    for s in "${servers[@]}"; do r1[$s]=$(bench_measure "$s" "$args" "$field"); done
    for ((i=${#servers[@]}-1; i>=0; i--)); do s=${servers[$i]}; r2[$s]=$(bench_measure "$s" "$args" "$field"); done
    for s in "${servers[@]}"; do v[$s]=$(bench_best "${r1[$s]}" "${r2[$s]}"); done
    printf '%-26s %9s %9s %9s %9s %7s %7s %8s %8s\n' "$name" "${v[unrepl]}" "${v[nbdkit]}" "${v[C]}" "${v[A]}" \
      "$(ratio "${v[C]}" "${v[unrepl]}")" "$(ratio "${v[A]}" "${v[unrepl]}")" "$(ratio "${v[C]}" "${v[nbdkit]}")" "$(ratio "${v[A]}" "${v[nbdkit]}")"
  done
  echo "(IOPS; MiB/s for 1M seqwrite)"
  echo "peak RSS (VmHWM): unrepl $(awk '/VmHWM/ {print $2}' /proc/${pid[unrepl]}/status) kB, nbdkit $(awk '/VmHWM/ {print $2}' /proc/${pid[nbdkit]}/status) kB," \
    "C primary $(awk '/VmHWM/ {print $2}' /proc/${pid[C]}/status) kB + secondary $(awk '/VmHWM/ {print $2}' /proc/${pid[sC]}/status) kB"
fi

# Resync: the primary disconnects, dirties 25% of the first GiB's 4 KiB blocks (random ones,
# random data), reconnects and times connect → "sync finished"; then the replicas must be equal.
resync() { # protocol, fd, seed → JSON line
  local out=$work/p$1.out before
  before=$(wc -l < "$out")
  echo "resync 0.25 $3" >&"$2"
  for _ in $(seq 1200); do [ "$(wc -l < "$out")" -gt "$before" ] && break; sleep 0.1; done
  tail -n 1 "$out"
}
# nbdcopy copies as many bytes as the resyncs dirty (25% of 1 GiB's 4 KiB blocks), between two
# nbdkit file exports; its runs alternate with the resyncs so that both see the same machine.
dirty=$(( (1 << 30) / 4096 / 4 * 4096 ))
head -c "$dirty" /dev/urandom > "$data/copysrc.img"
dd if=/dev/zero of="$data/copydst.img" bs=1M count=$((dirty / 1048576)) conv=fsync status=none
nbdkit --foreground -U "$work/src.sock" file "$data/copysrc.img" & pids+=($!)
nbdkit --foreground -U "$work/dst.sock" file "$data/copydst.img" & pids+=($!)
for s in src dst; do for _ in $(seq 100); do [ -S "$work/$s.sock" ] && break; sleep 0.1; done; done
echo
echo "resync of 25% dirty 4 KiB blocks of 1 GiB vs nbdcopy --flush of as many bytes between two nbdkit file exports, 5 rounds of C, A, nbdcopy"
declare -A rs=()
copy_best=0
for seed in 1 2 3 4 5; do
  for proto in C A; do
    fd=$([ $proto = C ] && echo 5 || echo 6)
    line=$(resync $proto $fd $seed)
    case "$line" in \{*) ;; *) echo "compare.sh: resync failed: $line" >&2; exit 1 ;; esac
    echo "  $proto run $seed: $line"
    rs[$proto]="${rs[$proto]:-} $line"
  done
  secs=$(python3 -c '
import subprocess, sys, time
t = time.monotonic()
subprocess.run(["nbdcopy", "--flush", sys.argv[1], sys.argv[2]], check=True)
print(f"{time.monotonic() - t:.4f}")' "nbd+unix:///?socket=$work/src.sock" "nbd+unix:///?socket=$work/dst.sock")
  mibps=$(python3 -c "print(round($dirty / 1048576 / $secs, 1))")
  echo "  nbdcopy run $seed: ${secs}s, $mibps MiB/s"
  copy_best=$(python3 -c "print(max($copy_best, $mibps))")
done
for proto in C A; do
  if cmp -s -n $((1 << 30)) "$data/p$proto.img" "$data/s$proto.img"; then echo "  $proto: replicas equal after resync"; else echo "  $proto: REPLICAS DIFFER after resync" >&2; exit 1; fi
done
python3 - "$copy_best" "$dirty" "${rs[C]}" "${rs[A]}" <<'PY'
import json, sys
copy = float(sys.argv[1]); dirty = int(sys.argv[2])
def runs(s):
    out, depth, start = [], 0, 0
    for i, ch in enumerate(s):
        if ch == "{":
            if depth == 0: start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0: out.append(json.loads(s[start:i + 1]))
    return out
print(f"{'':12} {'dirty bytes':>12} {'data sent':>12} {'wire bytes':>12} {'sync s':>8} {'MiB/s':>8} {'/nbdcopy':>9} {'data<=dirty':>11}")
for name, s in (("resync C", sys.argv[3]), ("resync A", sys.argv[4])):
    best = max(runs(s), key=lambda r: r["syncMiBps"])
    rounded = (best["dirtyBytes"] + 4095) // 4096 * 4096
    print(f"{name:12} {best['dirtyBytes']:>12} {best['resyncDataBytes']:>12} {best['wireBytes']:>12} {best['syncSeconds']:>8} {best['syncMiBps']:>8} {best['syncMiBps'] / copy:>9.2f} {str(int(best['resyncDataBytes']) <= rounded):>11}")
print(f"{'nbdcopy':12} {dirty:>12} {'':>12} {'':>12} {'':>8} {copy:>8}")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
