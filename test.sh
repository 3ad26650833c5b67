#!/usr/bin/env bash
# Builds Tandem and runs every test project. Ends with one line: "N passed, N failed[, N skipped]".
# As root it first installs the Debian packages the tests use (real NBD clients, nbdkit, qemu-io,
# OCF agents, socat, iproute2, ...); elsewhere the tests that need them skip and say why.
set -uo pipefail
cd "$(dirname "$0")"
root=$PWD
results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"

packages=(libnbd-bin nbdkit qemu-utils fio socat iproute2 iptables e2fsprogs fuse3 util-linux
          procps psmisc resource-agents python3-aiosmtpd kmod fence-agents)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "test.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null \
      || echo "test.sh: warning: could not install ${missing[*]}; tests that need them will skip"
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if ! dotnet build Tandem.slnx -c Release -nologo -v:q -clp:NoSummary -p:CI="${CI:-false}"; then
  echo "test.sh: build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0 failed=0 skipped=0 crashed=0
for proj in tests/*Tests/*.csproj; do
  name=$(basename "$proj" .csproj)
  exe="$(dirname "$proj")/bin/Release/net10.0/$name"
  echo "=== $name"
  # Each project gets a hard limit so that a hung test cannot eat CI's budget.
  timeout --signal=KILL 900 "$exe" -noColor -xml "$results/$name.xml" -maxThreads 2 >"$results/$name.log" 2>&1
  rc=$?
  grep -E "^\s*\[(FAIL|SKIP)\]|Finished:|Skipped" "$results/$name.log" | head -40
  # Name every failed test with its message and the top of its stack, so that a CI log says what broke.
  [ -f "$results/$name.xml" ] && python3 - "$results/$name.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
for t in ET.parse(sys.argv[1]).getroot().iter('test'):
    if t.get('result') != 'Fail':
        continue
    f = t.find('failure')
    msg = (f.findtext('message') or '').strip() if f is not None else ''
    stack = (f.findtext('stack-trace') or '').strip().splitlines()[:6] if f is not None else []
    print(f"FAILED {t.get('name')}")
    for line in msg.splitlines()[:25] + stack:
        print(f"    {line}")
PY
  if [ -f "$results/$name.xml" ]; then
    read -r t p f s < <(python3 - "$results/$name.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
a = ET.parse(sys.argv[1]).getroot().find('assembly')
print(a.get('total', 0), a.get('passed', 0), a.get('failed', 0), a.get('skipped', 0)) if a is not None else print(0, 0, 0, 0)
PY
)
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    echo "--- $name: $p passed, $f failed, $s skipped (exit $rc)"
  fi
  if [ ! -f "$results/$name.xml" ] || { [ $rc -ne 0 ] && [ $rc -ne 1 ]; }; then
    echo "--- $name: the test runner did not finish (exit $rc); log: $results/$name.log"
    tail -30 "$results/$name.log"
    crashed=$((crashed + 1))
  fi
done

failed=$((failed + crashed))
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
