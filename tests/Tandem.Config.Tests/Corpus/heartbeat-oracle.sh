#!/bin/bash
# Runs the real Heartbeat 3.0.6 (Debian's heartbeat package) on one corpus case and prints its
# verdict (VERDICT starts | refuses(rc=N)) and its log. This is how the '# heartbeat-3.0.6:' lines
# of Corpus/heartbeat were recorded. Root only.
#
#   usage: heartbeat-oracle.sh CASE [SECONDS [LINES]]
#
# CASE is a .hacf, .authkeys or .haresources file (the other two files come from
# heartbeat-oracle-base/) or a .case bundle ('=== NAME' sections; '=== -NAME': absent).
# Heartbeat reads only /etc/ha.d: the files are bind-mounted there by 'ip netns exec' from
# /etc/netns/NS/ha.d, inside a network namespace of our own (lo, eth0 192.168.0.1/24 and eth1
# 10.0.0.1/24 as veth pairs whose both ends stay inside it), a UTS namespace (hostname ovz-node1)
# and a pid namespace whose init is heartbeat: killing it ends every process it started. The
# namespace and the files are removed on exit. Nothing leaves the namespace.
set -u
case_file=$1; wait_s=${2:-5}
ns=hbcheck$$
root=/etc/netns/$ns
work=$(mktemp -d /tmp/hbcheck.$$.XXXX)
cleanup() {
  if [ -n "${pid:-}" ]; then
    # the namespace's init (heartbeat itself) is the child of unshare: killing it ends every
    # process of the pid namespace; unshare then exits and is reaped here
    for c in $(pgrep -P "$pid"); do kill -KILL "$c" 2>/dev/null; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  ip netns del "$ns" 2>/dev/null
  rm -rf "$root" "$work"
}
trap cleanup EXIT
mkdir -p "$root/ha.d" "$work/varlib" "$work/run"
cp -a /etc/ha.d/. "$root/ha.d/"
base=$(dirname "$0")/heartbeat-oracle-base
cp "$base/ha.cf" "$base/authkeys" "$base/haresources" "$root/ha.d/"
name=$(basename "$case_file")
case "$name" in
  *.hacf) cp "$case_file" "$root/ha.d/ha.cf" ;;
  *.authkeys) cp "$case_file" "$root/ha.d/authkeys" ;;
  *.haresources) cp "$case_file" "$root/ha.d/haresources" ;;
  *.case) # a directory-like bundle: sections separated by '=== FILE' lines
     awk -v d="$root/ha.d" '/^=== /{f=d"/"$2; printf "" > f; next} f != "" {print > f}' "$case_file"
     for gone in $(sed -n 's/^=== -//p' "$case_file"); do rm -f "$root/ha.d/$gone" "$root/ha.d/-$gone"; done ;;
esac
[ -e "$root/ha.d/authkeys" ] && chmod 600 "$root/ha.d/authkeys"
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add eth0 type veth peer name eth0p
ip -n "$ns" link add eth1 type veth peer name eth1p
for l in eth0 eth0p eth1 eth1p; do ip -n "$ns" link set "$l" up; done
ip -n "$ns" addr add 192.168.0.1/24 dev eth0
ip -n "$ns" addr add 10.0.0.1/24 dev eth1
ip netns exec "$ns" unshare -m -u -p -f --kill-child --mount-proc sh -c "
  mount -t tmpfs none /var/lib/heartbeat 2>/dev/null || { mkdir -p /var/lib/heartbeat; mount -t tmpfs none /var/lib/heartbeat; }
  mount -t tmpfs none /run
  mkdir -p /run/heartbeat /var/lib/heartbeat/cores/root /var/lib/heartbeat/cores/hacluster /var/lib/heartbeat/cores/nobody
  hostname ovz-node1
  exec /usr/libexec/heartbeat/heartbeat -f -l" > "$work/out" 2>&1 &
pid=$!
for i in $(seq $((wait_s*10))); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then verdict=starts; else wait $pid; verdict="refuses(rc=$?)"; fi
echo "VERDICT $verdict"
grep -v '^\s*$' "$work/out" | sed -E 's/^.*heartbeat: \[[0-9]+\]: //; s/^heartbeat: baudrate/\nheartbeat: baudrate/' | cut -c1-220 | head -${3:-25}
