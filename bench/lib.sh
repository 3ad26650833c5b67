# Shared by the shell benchmarks (sourced, not run): tools check, builds, work directories that
# are removed on exit with every server started, waiting for a server's socket, and one fio run.
# The sourcing script sets `me` (its name, for messages) first and runs from the repository root.

# bench_require TOOL...: exits 2 naming the first one missing.
bench_require() {
  local p
  for p in "$@"; do command -v "$p" >/dev/null || { echo "$me: $p is not installed" >&2; exit 2; }; done
}

# bench_build PROJECT...: builds bench/PROJECT in Release.
bench_build() {
  local p
  for p in "$@"; do dotnet build "bench/$p" -c Release -nologo -v:q -clp:NoSummary >/dev/null; done
}

# bench_dirs NAME BACKING_DIR: sets work (sockets, logs; in /tmp) and data (backing files, in
# BACKING_DIR); on exit kills every pid in `pids`, closes fds 5 and 6, and removes both.
bench_dirs() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  data=$(mktemp -d "$2/$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  exec 5>&- 6>&- 2>/dev/null || true
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work" "$data"
}

# bench_wait_socket NAME...: waits (30 s at most) for $work/NAME.sock; exits 1 with the logs if not.
bench_wait_socket() {
  local s
  for s in "$@"; do
    for _ in $(seq 300); do [ -S "$work/$s.sock" ] && break; sleep 0.1; done
    [ -S "$work/$s.sock" ] || { echo "$me: $s did not start" >&2; cat "$work"/*.log >&2 2>/dev/null; exit 1; }
  done
}

# bench_warmup NAME...: 3 s of mixed 4 KiB I/O on each server, so that nothing counts before the
# .NET servers' JIT tiered up and the page caches filled.
bench_warmup() {
  local s
  for s in "$@"; do
    fio --name=warmup --ioengine=nbd --uri="nbd+unix:///?socket=$work/$s.sock" --rw=randrw --bs=4k --iodepth=8 \
        --size=1G --time_based --runtime=3 >/dev/null 2>&1
  done
}

# bench_measure NAME "FIO-ARGS" FIELD: one fio run on $work/NAME.sock for $runtime seconds (after a
# 2 s ramp); prints write_iops, read_iops (IOPS) or write_bw (MiB/s) as FIELD says.
bench_measure() {
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

# bench_best N...: the largest.
bench_best() { python3 -c "import sys; print(max(int(a) for a in sys.argv[1:]))" "$@"; }
