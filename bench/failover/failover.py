#!/usr/bin/env python3
"""Side-by-side failover benchmark: Tandem vs Debian's heartbeat 3.0.6 running the same group.

Two nodes (alpha, beta) in their own network namespaces, joined by two veth links (ucast on both),
as in bench/membership/detect.py. Both implementations run the same one-resource group, preferred
node alpha, auto_failback off, no fencing (Heartbeat without stonith, Tandem `[fencing] disabled =
true`): an R1 script `benchsvc start|stop|status` that appends "NANOSECONDS NODE start|stop" (`date
+%s%N`, CLOCK_REALTIME) to a shared records file.

Each run, on a fresh cluster:
  start    both nodes launched together -> the group's script started (on either node);
  standby  `hb_standby` / `tandem standby` on the active node -> script started on the peer
           (twice: alpha -> beta, then beta -> alpha; for Tandem twice more through the control
           API, POST /v1/standby, without the CLI's start-up);
  failover SIGKILL every process of the active node's namespace (power loss) -> script started
           on the survivor.
Times are wall clock (CLOCK_REALTIME) from just before the action to the record's timestamp.
Dead events that no kill caused (false deaths under load) are counted. --group full (Tandem only)
runs the seed's shape: replicated volume r0 (drbddisk, attach=no), a process, then the script.

Run as root:
  bench/failover/failover.py --impl tandem    --keepalive-ms 100 --deadtime-ms 500 --runs 10
  bench/failover/failover.py --impl heartbeat --keepalive-ms 100 --deadtime-ms 500 --runs 10
Tandem is src/Tandem.Cli's Release build (dotnet build src/Tandem.Cli -c Release).
"""
import argparse, json, os, shutil, signal, statistics, subprocess, sys, tempfile, threading, time

sys.dont_write_bytecode = True  # no __pycache__ next to detect.py
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "membership"))
from detect import Namespaces, heartbeat_node, sh  # noqa: E402  (same namespaces, links and Heartbeat set-up as the detection benchmark)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TANDEM_DLL = os.path.join(ROOT, "src/Tandem.Cli/bin/Release/net10.0/tandem.dll")
HB_STANDBY = "/usr/share/heartbeat/hb_standby"
NODES = ("alpha", "beta")
ADDR = {("alpha", 1): "10.201.1.1", ("beta", 1): "10.201.1.2", ("alpha", 2): "10.201.2.1", ("beta", 2): "10.201.2.2"}


def write_script(work):
    path = os.path.join(work, "benchsvc")
    with open(path, "w") as f:
        f.write(f"""#!/bin/sh
# R1 script: benchsvc start|stop|status; the node is the host name (each node has its own UTS namespace).
node=$(uname -n)
state="{work}/state.$node"
case "$1" in
  start) touch "$state"; echo "$(date +%s%N) $node start" >> "{work}/records" ;;
  stop) rm -f "$state"; echo "$(date +%s%N) $node stop" >> "{work}/records" ;;
  status) if [ -e "$state" ]; then echo "benchsvc running"; else echo "benchsvc stopped"; fi ;;
esac
exit 0
""")
    os.chmod(path, 0o755)
    return path


def read_records(work):
    path = os.path.join(work, "records")
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                out.append((int(parts[0]), parts[1], parts[2]))
    return out


def wait_record(work, pred, after_ns, timeout):
    """The first record after after_ns matching pred, polled every 2 ms (the timestamp is the script's own)."""
    end = time.monotonic() + timeout
    while True:
        for r in read_records(work):
            if r[0] >= after_ns and pred(r):
                return r
        if time.monotonic() >= end:
            return None
        time.sleep(0.002)


class Tandem:
    name = "tandem"

    def __init__(self, nets, work, args, dll=None):
        self.nets, self.work, self.args = nets, work, args
        self.dll = dll or TANDEM_DLL  # --tandem-dll, or --tandem-dll-b for the B side of an A/B run
        self.procs = {}
        script = write_script(work)
        k, d = args.keepalive_ms, args.deadtime_ms
        links = ""
        for n in (1, 2):
            links += f"""
[[link]]
kind = "ucast"
name = "net{n}"
interface = "eth{n}"
port = 694
endpoint = [{{ address = "{ADDR[('alpha', n)]}", node = "alpha" }}, {{ address = "{ADDR[('beta', n)]}", node = "beta" }}]
"""
        replicated = full = ""
        if args.group == "full":
            # The seed's shape: the replicated volume (drbddisk, no block device), a long-running
            # process, then the script, whose start marks the last resource of the group started.
            replicated = '\n[[replicated]]\nname = "r0"\nprotocol = "C"\n\n[replicated.net]\nconnect_int = "1s"\nping_int = "1s"\n'
            for node in NODES:
                replicated += f"""
[[replicated.host]]
name = "{node}"
address = "{ADDR[(node, 1)]}:7788"

[[replicated.host.volume]]
number = 0
device = "{work}/{node}/drbd0"
disk = "{work}/{node}/r0.img"
meta_disk = "internal"
"""
            full = """
[[group.resource]]
id = "r0"
agent = "drbddisk"
class = "builtin"
arguments = ["r0"]
parameters = { promote_wait = "30s", attach = "no" }

[[group.resource]]
id = "sleeper"
agent = "process"
class = "builtin"
parameters = { command = "/bin/sleep 1000000" }
"""
        self.config = os.path.join(work, "tandem.toml")
        with open(self.config, "w") as f:
            f.write(f"""[cluster]
name = "failover-bench"
auto_failback = "off"

[timing]
keepalive = "{k}ms"
warntime = "{max(d // 2, k * 2 + 1)}ms"
deadtime = "{d}ms"
initdead = "{args.initdead_ms}ms"

[[node]]
name = "alpha"

[[node]]
name = "beta"
{links}
[auth]
active = 1

[[auth.key]]
index = 1
method = "sha1"
secret = "benchsecret"

{replicated}
[[group]]
name = "benchsvc"
preferred_node = "alpha"
{full}
[[group.resource]]
id = "benchsvc"
agent = "benchsvc"
class = "heartbeat"
parameters = {{ path = "{script}" }}

[fencing]
disabled = true
""")
        os.chmod(self.config, 0o600)

    def run_dir(self, node):
        return os.path.join(self.work, node, "run")

    def start(self, node):
        d = os.path.join(self.work, node)
        os.makedirs(d, exist_ok=True)
        log = open(os.path.join(d, "daemon.log"), "a")
        cmd = ["ip", "netns", "exec", self.nets.ns[node], "unshare", "-u", "sh", "-c",
               f"hostname {node} && exec dotnet {self.dll} daemon --config {self.config} --node {node} "
               f"--state-dir {d}/state --run-dir {d}/run"]
        self.procs[node] = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)

    def standby(self, node):
        # The real command, as an operator types it (includes the CLI's own start-up).
        return subprocess.run(["dotnet", self.dll, "standby", "--run-dir", self.run_dir(node)],
                              capture_output=True, text=True)

    def api(self, node, path, body):
        import http.client, socket

        class UnixConnection(http.client.HTTPConnection):
            def connect(self_):
                self_.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self_.sock.connect(os.path.join(self.run_dir(node), "control.sock"))

        c = UnixConnection("tandem", timeout=60)
        c.request("POST", path, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        r = c.getresponse()
        text = r.read().decode()
        c.close()
        return r.status, text

    def standby_api(self, node):
        # The same request the CLI sends (POST /v1/standby on the control socket), without .NET's start-up.
        status, text = self.api(node, "/v1/standby", {"groups": "all"})
        return subprocess.CompletedProcess([], 0 if status == 202 else status, text, "")

    def prepare(self):
        """Full group: fresh backing files and metadata on both nodes (before the daemons start)."""
        if self.args.group != "full":
            return
        for node in NODES:
            d = os.path.join(self.work, node)
            os.makedirs(d, exist_ok=True)
            shutil.rmtree(os.path.join(d, "state"), ignore_errors=True)
            with open(os.path.join(d, "r0.img"), "wb") as f:
                f.truncate(32 << 20)
            r = subprocess.run(["dotnet", self.dll, "volume", "create-md", "r0", "--node", node, "--config", self.config,
                                "--run-dir", self.run_dir(node)], capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"create-md on {node}: {r.stdout} {r.stderr}")

    def after_start(self, t0):
        """Full group: two new, empty backings need no initial sync (as `tandem demo` does): a new current UUID on alpha."""
        if self.args.group != "full":
            return
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if any(e[1] == "volume.connection" and "Connected" in json.dumps(e[4]) for e in self.timeline("alpha", t0)):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("r0 never connected")
        status, text = self.api("alpha", "/v1/volumes/r0/new-current-uuid", {"clearBitmap": True})
        if status != 200:
            raise RuntimeError(f"new-current-uuid: {status} {text}")

    def stopped(self):
        for p in self.procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs.clear()

    def timeline(self, node, since_ns):
        """Tandem's own events (events.jsonl) after since_ns, as (ms after since, kind, subject)."""
        path = os.path.join(self.work, node, "state", "events.jsonl")
        out = []
        if not os.path.exists(path):
            return out
        from datetime import datetime
        with open(path) as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                t = datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp() * 1e9
                if t >= since_ns - 1e6:
                    out.append(((t - since_ns) / 1e6, e.get("kind"), e.get("subject"), node, e.get("data")))
        return out


    def dead_count(self):
        return sum(1 for n in NODES for e in self.timeline(n, 0) if e[1] == "node.dead")

    def reset(self):
        for node in NODES:
            try:
                os.remove(os.path.join(self.work, node, "state", "events.jsonl"))
            except FileNotFoundError:
                pass


class Heartbeat:
    name = "heartbeat"

    def __init__(self, nets, work, args):
        self.nets, self.work, self.args = nets, work, args
        self.script = write_script(work)

    def start(self, node):
        a = self.args
        etc, _, argv = heartbeat_node(self.nets, node, self.work, a.keepalive_ms, a.deadtime_ms, a.initdead_ms,
                                      debugfile=os.path.join(self.work, node, "ha-debug"), haresources="alpha benchsvc\n")
        os.makedirs(os.path.join(etc, "resource.d"), exist_ok=True)
        shutil.copy2(self.script, os.path.join(etc, "resource.d", "benchsvc"))
        subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def main_pid(self, node):
        for pid in sh(f"ip netns pids {self.nets.ns[node]}", check=False).split():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if f.read().startswith(b"heartbeat: master"):
                        return pid
            except OSError:
                pass
        raise RuntimeError(f"no heartbeat master process in {node}")

    def standby(self, node):
        # hb_standby writes to the node's FIFO in its own mount namespace.
        return subprocess.run(["nsenter", "-t", self.main_pid(node), "-m", "-u", "-n", HB_STANDBY],
                              capture_output=True, text=True)

    def stopped(self):
        pass

    def prepare(self):
        pass

    def after_start(self, t0):
        pass

    def timeline(self, node, since_ns):
        return []

    def dead_count(self):
        n = 0
        for node in NODES:
            try:
                with open(os.path.join(self.work, node, "ha-log"), errors="replace") as f:
                    n += sum(1 for l in f if "is dead" in l and "node " in l)
            except FileNotFoundError:
                pass
        return n

    def reset(self):
        for node in NODES:
            try:
                os.remove(os.path.join(self.work, node, "ha-log"))
            except FileNotFoundError:
                pass


def kill_node(nets, node):
    pids = sh(f"ip netns pids {nets.ns[node]}", check=False).split()
    t0 = time.time_ns()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    return t0


def phases(events, marks, end_ms):
    """Step times from the daemons' own events: for each mark (name, event kind, node), the time from
    the previous mark (the action for the first) to the first such event; "script" is the last mark
    to the script's record. A mark whose event is missing is skipped (the next phase spans it)."""
    out, prev = {}, 0.0
    for name, kind, node in marks:
        t = next((e[0] for e in sorted(events, key=lambda e: e[0]) if e[1] == kind and e[3] == node), None)
        if t is None or t < prev:
            continue
        out[name] = t - prev
        prev = t
    out["script"] = end_ms - prev
    return out


def add_phases(results, step, ph):
    for k, v in ph.items():
        results["phases"].setdefault(step, {}).setdefault(k, []).append(v)


def one_run(impl, args, nets, work, results, runno):
    log = lambda s: print(f"  run {runno}: {s}", flush=True)
    try:
        os.remove(os.path.join(work, "records"))
    except FileNotFoundError:
        pass
    for n in NODES:
        try:
            os.remove(os.path.join(work, f"state.{n}"))
        except FileNotFoundError:
            pass
    impl.reset()
    killed = False
    try:
        # (c) cluster start: both launched together.
        impl.prepare()
        t0 = time.time_ns()
        for n in NODES:
            impl.start(n)
        impl.after_start(t0)
        r = wait_record(work, lambda r: r[2] == "start", t0, 60)
        if r is None:
            raise RuntimeError("the group never started")
        ms = (r[0] - t0) / 1e6
        if args.group == "script":
            results["start"].append(ms)  # with the full group it includes the volume's first-time set-up
        log(f"start {ms:.0f} ms (on {r[1]})")
        active = r[1]
        events = [e for n in NODES for e in impl.timeline(n, t0)]
        if events:
            add_phases(results, "start", phases(events, [("daemon_up", "resources.started", active), ("peer_up", "node.up", active),
                                                         ("stable", "resources.stable", active), ("group_starting", "group.starting", active),
                                                         ("resource_starting", "resource.starting", active)], ms))
        if args.timeline:
            for e in sorted(events, key=lambda e: e[0]):
                log(f"    {e[0]:8.1f} ms {e[3]} {e[1]} {e[2]}")
        # (b) graceful standby, out and back; for Tandem also through the control API.
        ways = [("standby", impl.standby)] * 2
        if hasattr(impl, "standby_api"):
            ways += [("standby_api", impl.standby_api)] * 2
        for key, how in ways:
            time.sleep(args.settle)
            peer = "beta" if active == "alpha" else "alpha"
            t0 = time.time_ns()
            res = how(active)
            t_ret = time.time_ns()
            r = wait_record(work, lambda r: r[1] == peer and r[2] == "start", t0, 30)
            if r is None:
                raise RuntimeError(f"standby on {active}: {peer} never started the group ({res.returncode} {res.stdout} {res.stderr})")
            ms = (r[0] - t0) / 1e6
            stop = wait_record(work, lambda r: r[1] == active and r[2] == "stop", t0, 0)
            if stop is None or stop[0] > r[0]:
                # Started there before it stopped here: a takeover (a false death), not the handover.
                raise RuntimeError(f"standby on {active}: {peer} started the group before {active} stopped it (a takeover, not a standby)")
            results[key].append(ms)
            extra = f", stopped on {active} at {(stop[0] - t0) / 1e6:.0f} ms" if stop else ""
            events = [e for n in NODES for e in impl.timeline(n, t0)]
            asked = next((e[0] for e in events if e[1] == "group.standby"), None)
            if asked is not None:
                # From the daemon's receipt of the request (its group.standby event) to the peer's start.
                results["standby_daemon"].append(ms - asked)
                extra += f", request at the daemon at {asked:.0f} ms"
            log(f"{key} {active} -> {peer}: {ms:.0f} ms (command returned at {(t_ret - t0) / 1e6:.0f} ms{extra})")
            if events:
                add_phases(results, key, phases(events, [("request", "group.standby", active), ("decide", "group.stopping", active),
                                                         ("stop", "group.stopped", active), ("handover", "group.starting", peer),
                                                         ("resource_starting", "resource.starting", peer)], ms))
            if args.timeline:
                for e in sorted(events, key=lambda e: e[0]):
                    log(f"    {e[0]:8.1f} ms {e[3]} {e[1]} {e[2]}")
            active = peer
        # (a) power loss of the active node.
        time.sleep(args.settle)
        peer = "beta" if active == "alpha" else "alpha"
        t0 = kill_node(nets, active)
        killed = True
        r = wait_record(work, lambda r: r[1] == peer and r[2] == "start", t0, 30 + args.deadtime_ms / 1000)
        if r is None:
            raise RuntimeError(f"{peer} never took the group over after {active} was killed")
        ms = (r[0] - t0) / 1e6
        results["failover"].append(ms)
        log(f"failover {active} killed -> {peer}: {ms:.0f} ms")
        events = impl.timeline(peer, t0)
        if events:
            add_phases(results, "failover", phases(events, [("dead", "node.dead", peer), ("takeover", "resources.takeover", peer),
                                                            ("group_starting", "group.starting", peer),
                                                            ("resource_starting", "resource.starting", peer)], ms))
        if args.timeline:
            for e in events:
                log(f"    {e[0]:8.1f} ms {e[3]} {e[1]} {e[2]}")
    finally:
        # Dead events nobody caused (the kill causes one): false deaths under load, each a needless takeover.
        false = impl.dead_count() - (1 if killed else 0)
        results["false_deaths"] += max(false, 0)
        if false > 0:
            log(f"{false} false dead event(s) in this run")
        for n in NODES:
            nets.kill_all(n)
        impl.stopped()
        time.sleep(0.5)


def summary(name, xs):
    if not xs:
        return f"{name}: no samples"
    xs = sorted(xs)
    p90 = xs[min(len(xs) - 1, int(0.9 * len(xs)))]
    return (f"{name:14} n={len(xs):3}  min {xs[0]:7.0f}  median {statistics.median(xs):7.0f}  "
            f"p90 {p90:7.0f}  max {xs[-1]:7.0f} ms")


MEASURES = ("failover", "standby", "standby_api", "standby_daemon", "start")


def new_results():
    return {**{k: [] for k in MEASURES}, "false_deaths": 0, "failed": 0, "loads": [], "phases": {}}


def print_results(label, results):
    for k in MEASURES:
        if results[k]:
            print(f"  {label:>8} " + summary(k, results[k]))


def print_phases(sides):
    """Median of each step (from the daemons' events) per side: where the time goes."""
    steps = sorted({s for _, r in sides for s in r["phases"]}, key=lambda s: MEASURES.index(s) if s in MEASURES else 99)
    print("  step medians (ms, from the daemons' events; each from the previous mark)")
    for step in steps:
        names = []
        for _, r in sides:
            for n in r["phases"].get(step, {}):
                if n not in names:
                    names.append(n)
        for n in names:
            cells = []
            for _, r in sides:
                xs = r["phases"].get(step, {}).get(n, [])
                cells.append(f"{statistics.median(xs):8.1f} (n={len(xs):2})" if xs else f"{'-':>8}       ")
            ratio = ""
            if len(sides) == 2:
                a, b = (sides[0][1]["phases"].get(step, {}).get(n, []), sides[1][1]["phases"].get(step, {}).get(n, []))
                if a and b and statistics.median(a) > 0:
                    ratio = f"  {statistics.median(b) / statistics.median(a):5.2f}"
            print(f"    {step:14} {n:18} " + "  ".join(cells) + ratio)


def main():
    global TANDEM_DLL
    # A background job ignores SIGINT: let SIGTERM clean up the namespaces too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", choices=["tandem", "heartbeat"], required=True)
    ap.add_argument("--keepalive-ms", type=int, default=100)
    ap.add_argument("--deadtime-ms", type=int, default=500)
    ap.add_argument("--initdead-ms", type=int, default=10000, help="the same for both (Heartbeat warns below 10 s)")
    ap.add_argument("--runs", type=int, default=10, help="runs per side (with --tandem-dll-b: each side this many, alternating)")
    ap.add_argument("--settle", type=float, default=2.0, help="seconds between the steps of a run")
    ap.add_argument("--group", choices=["script", "full"], default="script",
                    help="full (Tandem only): replicated volume r0 (drbddisk, attach=no) + a process + the script")
    ap.add_argument("--tandem-dll", default=TANDEM_DLL, help="another build of tandem.dll, e.g. a ReadyToRun publish")
    ap.add_argument("--label", default="A", help="the name of the --tandem-dll side in an A/B run")
    ap.add_argument("--tandem-dll-b", help="A/B in one run: a second tandem.dll, its runs alternating with --tandem-dll's")
    ap.add_argument("--label-b", default="B", help="the name of the --tandem-dll-b side")
    ap.add_argument("--timeline", action="store_true", help="print Tandem's events after the start, each standby and the kill")
    ap.add_argument("--json", help="write the raw samples to this file")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (network namespaces)")
    TANDEM_DLL = os.path.abspath(args.tandem_dll)
    if args.group == "full" and args.impl != "tandem":
        sys.exit("--group full is Tandem only (Heartbeat would need DRBD's kernel module, absent here)")
    if args.tandem_dll_b and args.impl != "tandem":
        sys.exit("--tandem-dll-b compares two Tandem builds (--impl tandem)")
    builds = [(args.label, TANDEM_DLL)]
    if args.tandem_dll_b:
        builds.append((args.label_b, os.path.abspath(args.tandem_dll_b)))
    for _, dll in builds:
        if args.impl == "tandem" and not os.path.exists(dll):
            sys.exit(f"{dll} is missing: dotnet build src/Tandem.Cli -c Release")
    print(f"load before: {open('/proc/loadavg').read().strip()}", flush=True)
    nets = Namespaces()
    work = tempfile.mkdtemp(prefix="tandem-fobench-")
    sides = [(label, new_results()) for label, _ in builds]
    try:
        if args.impl == "tandem":
            impls = [Tandem(nets, work, args, dll) for _, dll in builds]
        else:
            impls = [Heartbeat(nets, work, args)]
        for i in range(args.runs * len(builds)):
            # A/B: the sides alternate run by run, so that both see the same load over the whole run.
            side = i % len(builds)
            label, results = sides[side]
            tag = f"{i // len(builds) + 1}{label if len(builds) > 1 else ''}"
            results["loads"].append(float(open("/proc/loadavg").read().split()[0]))
            try:
                one_run(impls[side], args, nets, work, results, tag)
            except RuntimeError as e:
                results["failed"] += 1
                print(f"  run {tag} FAILED: {e}", flush=True)
                if os.environ.get("KEEP"):
                    break
        for label, results in sides:
            loads = results["loads"]
            print(f"{args.impl}{' ' + label if len(builds) > 1 else ''} ({args.group} group) {results['false_deaths']} false dead events; "
                  f"keepalive {args.keepalive_ms} ms deadtime {args.deadtime_ms} ms initdead {args.initdead_ms} ms, {args.runs} runs, "
                  f"{results['failed']} failed; load (1 min) at the runs' starts {min(loads, default=0):.1f}-{max(loads, default=0):.1f}, "
                  f"median {statistics.median(loads) if loads else 0:.1f}")
            print_results(label if len(builds) > 1 else "", results)
        if len(builds) == 2:
            (la, a), (lb, b) = sides
            print(f"  {lb}/{la} (medians)")
            for k in MEASURES:
                if a[k] and b[k]:
                    ma, mb = statistics.median(a[k]), statistics.median(b[k])
                    print(f"    {k:14} {la} {ma:7.0f}  {lb} {mb:7.0f} ms  ratio {mb / ma:5.2f}")
        if any(r["phases"] for _, r in sides):
            print_phases(sides)
        print(f"load after: {open('/proc/loadavg').read().strip()}", flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"impl": args.impl, "keepalive_ms": args.keepalive_ms, "deadtime_ms": args.deadtime_ms,
                           "initdead_ms": args.initdead_ms, "group": args.group,
                           "sides": {label: {"dll": dll, **r} for (label, dll), (_, r) in zip(builds, sides)}}, f)
    finally:
        nets.close()
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("work dir", work)


if __name__ == "__main__":
    main()
