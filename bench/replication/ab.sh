#!/usr/bin/env bash
# A/B of the replication hot path between two builds of this repository, in the same run: a
# protocol C pair (bench/Tandem.Bench.Replication, primary and secondary processes on loopback TCP)
# from each tree, both exported over NBD to fio's nbd engine on a Unix socket, measured in
# alternating rounds (A B B A ...) so that both see the same machine; the best round of each counts.
#   bench/replication/ab.sh BASE_TREE [ROUNDS] [RUNTIME_SECONDS] [BACKING_DIR]   (defaults: 4, 5, /dev/shm)
# BASE_TREE is another checkout (e.g. `git worktree add /tmp/base COMMIT`); both are built here.
# Prints per case the best IOPS (MiB/s for 1M) of base and new and the ratio new/base.
set -euo pipefail
cd "$(dirname "$0")/../.."
base_tree=$(cd "$1" && pwd)
rounds=${2:-4}
runtime=${3:-5}
backing_dir=${4:-/dev/shm}
me=ab.sh
. bench/lib.sh
bench_require fio dotnet python3
bench_build Tandem.Bench.Replication
(cd "$base_tree" && bench_build Tandem.Bench.Replication)
host=bin/Release/net10.0/Tandem.Bench.Replication
declare -A tree=([new]="$PWD" [base]="$base_tree")

bench_dirs tandem-repl-ab "$backing_dir"
read -r p1 p2 p3 p4 < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
declare -A sport=([new]=$p1 [base]=$p3) pport=([new]=$p2 [base]=$p4)
fd=5
for b in new base; do
  for r in p s; do dd if=/dev/zero of="$data/$r$b.img" bs=1M count=1032 conv=fsync status=none; done
  "${tree[$b]}/bench/Tandem.Bench.Replication/$host" secondary "$data/s$b.img" "${sport[$b]}" "${pport[$b]}" C > "$work/s$b.log" 2>&1 &
  pids+=($!)
  mkfifo "$work/ctl$b"
  "${tree[$b]}/bench/Tandem.Bench.Replication/$host" primary "$data/p$b.img" "${pport[$b]}" "${sport[$b]}" C "$work/$b.sock" < "$work/ctl$b" > "$work/p$b.out" 2> "$work/p$b.log" &
  pids+=($!)
  eval "exec $fd>\"$work/ctl$b\""
  fd=$((fd + 1))
done
bench_wait_socket new base
bench_warmup new base

cases=(
  "4k randwrite QD1 flush each|--rw=randwrite --bs=4k --iodepth=1 --fsync=1|write_iops"
  "4k randwrite QD1|--rw=randwrite --bs=4k --iodepth=1|write_iops"
  "4k randwrite QD32|--rw=randwrite --bs=4k --iodepth=32|write_iops"
  "1M seqwrite QD8|--rw=write --bs=1M --iodepth=8|write_bw"
)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "base: $(git -C "$base_tree" log --oneline -1)"
echo "new:  $(git log --oneline -1)$(git diff --quiet HEAD || echo ' (+ uncommitted changes)')"
echo "protocol C pair per build, fio nbd engine, ${runtime}s per run, $rounds rounds alternating, best counts"
printf '%-26s %9s %9s %9s   %s\n' case base new new/base "rounds (base | new)"
for c in "${cases[@]}"; do
  IFS='|' read -r name args field <<<"$c"
  a=() n=()
  for ((i = 0; i < rounds; i++)); do
    if ((i % 2 == 0)); then order=(base new); else order=(new base); fi
    for b in "${order[@]}"; do
      v=$(bench_measure "$b" "$args" "$field")
      if [ "$b" = base ]; then a+=("$v"); else n+=("$v"); fi
    done
  done
  ba=$(bench_best "${a[@]}"); bn=$(bench_best "${n[@]}")
  printf '%-26s %9s %9s %9s   %s | %s\n' "$name" "$ba" "$bn" "$(python3 -c "print(f'{$bn / max($ba, 1):.2f}')")" "${a[*]}" "${n[*]}"
done
echo "(IOPS; MiB/s for 1M seqwrite)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
