#!/usr/bin/env python3
"""Side-by-side failure-detection benchmark: Tandem membership vs Debian's heartbeat 3.0.6.

Two nodes (alpha, beta) in their own network namespaces, joined by two veth links (ucast on both).
Each run: start both nodes, wait until alpha sees beta up, SIGKILL every process of beta, and time
until alpha reports beta dead (Tandem: the node.dead event line; Heartbeat: "node beta: is dead" in
its log, polled every 2 ms). Optionally a CPU hog (2 busy loops per core) runs for --soak seconds
and false dead events are counted.

Run as root:  bench/membership/detect.py --impl tandem --keepalive-ms 100 --deadtime-ms 500 --runs 20
              bench/membership/detect.py --impl heartbeat --keepalive-ms 100 --deadtime-ms 500 --runs 20
              bench/membership/detect.py --impl tandem --soak 600     (false deaths under CPU load)
The Tandem node is tests/Tandem.Membership.Node (build the test project in Release first).
"""
import argparse, os, shutil, signal, statistics, subprocess, sys, tempfile, threading, time, uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NODE_DLL = os.path.join(ROOT, "tests/Tandem.Membership.Tests/bin/Release/net10.0/Tandem.Membership.Node.dll")
HB = "/usr/libexec/heartbeat/heartbeat"


def sh(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd}: {r.stderr.strip()}")
    return r.stdout


class Namespaces:
    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.ns = {"alpha": f"tandem-bench-{tag}-a", "beta": f"tandem-bench-{tag}-b"}
        for ns in self.ns.values():
            sh(f"ip netns add {ns}")
        for n in (1, 2):
            a, b = f"tbn{tag}a{n}", f"tbn{tag}b{n}"
            sh(f"ip link add {a} type veth peer name {b}")
            sh(f"ip link set {a} netns {self.ns['alpha']}")
            sh(f"ip link set {b} netns {self.ns['beta']}")
            for node, dev, host in (("alpha", a, 1), ("beta", b, 2)):
                ns = self.ns[node]
                sh(f"ip -n {ns} link set {dev} name eth{n}")
                sh(f"ip -n {ns} addr add 10.201.{n}.{host}/24 brd + dev eth{n}")
                sh(f"ip -n {ns} link set eth{n} up")
        for ns in self.ns.values():
            sh(f"ip -n {ns} link set lo up")

    def kill_all(self, node, sig=signal.SIGKILL):
        for pid in sh(f"ip netns pids {self.ns[node]}", check=False).split():
            try:
                os.kill(int(pid), sig)
            except ProcessLookupError:
                pass

    def close(self):
        for node in self.ns:
            self.kill_all(node)
        for ns in self.ns.values():
            sh(f"ip netns del {ns}", check=False)


class LineWatcher:
    """Collects lines (from a pipe or a growing file) with their arrival time."""

    def __init__(self):
        self.lines, self.cv = [], threading.Condition()

    def add(self, line):
        with self.cv:
            self.lines.append((time.monotonic(), line))
            self.cv.notify_all()

    def wait(self, pred, timeout, after=0.0):
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                for t, l in self.lines:
                    if t >= after and pred(l):
                        return t
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cv.wait(left)

    def count(self, pred):
        with self.cv:
            return sum(1 for _, l in self.lines if pred(l))

    def follow_pipe(self, stream):
        threading.Thread(target=lambda: [self.add(l.rstrip("\n")) for l in stream], daemon=True).start()

    def follow_file(self, path, stop):
        def run():
            while not os.path.exists(path) and not stop.is_set():
                time.sleep(0.002)
            with open(path, errors="replace") as f:
                buf = ""
                while not stop.is_set():
                    chunk = f.read()
                    if chunk:
                        buf += chunk
                        *done, buf = buf.split("\n")
                        for l in done:
                            self.add(l)
                    else:
                        time.sleep(0.002)
        threading.Thread(target=run, daemon=True).start()


def start_tandem(nets, node, work, keepalive, deadtime):
    links = ["net1,alpha=10.201.1.1:694,beta=10.201.1.2:694", "net2,alpha=10.201.2.1:694,beta=10.201.2.2:694"]
    p = subprocess.Popen(["ip", "netns", "exec", nets.ns[node], "dotnet", NODE_DLL, node, os.path.join(work, node),
                          str(keepalive), str(deadtime), "benchsecret", *links],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    w = LineWatcher()
    w.follow_pipe(p.stdout)
    return p, w, (lambda l: l.startswith("EVENT node.dead ")), (lambda peer: lambda l: l.startswith(f"EVENT node.active {peer}"))


def heartbeat_node(nets, node, work, keepalive, deadtime, initdead, debugfile="/dev/null", haresources=""):
    """Gives a Heartbeat node its own /etc/ha.d and /var/lib/heartbeat under work/node (ha.cf for the
    two ucast links, authkeys, haresources) and returns (etc, log, argv): argv starts heartbeat in
    the node's network namespace with its own mount and UTS namespaces, so the bind mounts, /run
    and the host name stay its own. Heartbeat daemonizes: argv returns once it has forked."""
    d = os.path.join(work, node)
    etc, lib, log = os.path.join(d, "etc"), os.path.join(d, "lib"), os.path.join(d, "ha-log")
    os.makedirs(etc, exist_ok=True)
    if not os.path.exists(lib):
        shutil.copytree("/var/lib/heartbeat", lib, symlinks=True)
    for f in ("harc", "shellfuncs", "rc.d", "resource.d"):
        src, dst = os.path.join("/etc/ha.d", f), os.path.join(etc, f)
        if os.path.exists(src) and not os.path.exists(dst):
            (shutil.copytree if os.path.isdir(src) else shutil.copy2)(src, dst)
    with open(os.path.join(etc, "ha.cf"), "w") as f:
        f.write(f"""logfile {log}
debugfile {debugfile}
use_logd no
keepalive {keepalive}ms
deadtime {deadtime}ms
warntime {max(deadtime // 2, keepalive * 2 + 1)}ms
initdead {initdead}ms
udpport 694
ucast eth1 10.201.1.1
ucast eth1 10.201.1.2
ucast eth2 10.201.2.1
ucast eth2 10.201.2.2
auto_failback off
node alpha
node beta
""")
    with open(os.path.join(etc, "authkeys"), "w") as f:
        f.write("auth 1\n1 sha1 benchsecret\n")
    os.chmod(os.path.join(etc, "authkeys"), 0o600)
    with open(os.path.join(etc, "haresources"), "w") as f:
        f.write(haresources)
    script = (f"mount --bind {etc} /etc/ha.d && mount --bind {lib} /var/lib/heartbeat && "
              "mount -t tmpfs tmpfs /run && mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd "
              "/run/resource-agents && chown -R hacluster:haclient /run/heartbeat && "
              f"hostname {node} && exec {HB}")
    argv = ["ip", "netns", "exec", nets.ns[node], "unshare", "-m", "-u", "--propagation", "private", "sh", "-c", script]
    return etc, log, argv


def start_heartbeat(nets, node, work, keepalive, deadtime, stop):
    _, log, argv = heartbeat_node(nets, node, work, keepalive, deadtime, max(deadtime * 2, 1000))
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    w = LineWatcher()
    w.follow_file(log, stop)
    return None, w, (lambda l: "is dead" in l and "node " in l), (lambda peer: lambda l: f"node {peer}: status active" in l or f"Status update for node {peer}: status active" in l)


def one_run(args, nets, work):
    stop = threading.Event()
    procs = {}
    try:
        for node in ("alpha", "beta"):
            if args.impl == "tandem":
                procs[node] = start_tandem(nets, node, work, args.keepalive_ms, args.deadtime_ms)
            else:
                procs[node] = start_heartbeat(nets, node, work, args.keepalive_ms, args.deadtime_ms, stop)
        _, alpha_w, is_dead, active = procs["alpha"]
        if alpha_w.wait(active("beta"), 30) is None:
            raise RuntimeError("alpha never saw beta active")
        _, beta_w, _, _ = procs["beta"]
        if beta_w.wait(active("alpha"), 30) is None:
            raise RuntimeError("beta never saw alpha active")
        if args.soak:
            hogs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(2 * os.cpu_count())]
            try:
                time.sleep(args.soak)
            finally:
                for h in hogs:
                    h.kill()
            false = alpha_w.count(is_dead) + beta_w.count(is_dead)
            print(f"soak {args.soak}s: {false} false dead events")
            return None
        time.sleep(args.settle)
        t0 = time.monotonic()
        nets.kill_all("beta")
        t1 = alpha_w.wait(is_dead, 10 + args.deadtime_ms / 1000, after=t0)
        if t1 is None:
            raise RuntimeError("alpha never declared beta dead")
        return (t1 - t0) * 1000
    finally:
        stop.set()
        nets.kill_all("alpha")
        nets.kill_all("beta")
        for p in procs.values():
            if p[0] is not None:
                p[0].wait()
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", choices=["tandem", "heartbeat"], required=True)
    ap.add_argument("--keepalive-ms", type=int, default=100)
    ap.add_argument("--deadtime-ms", type=int, default=500)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--settle", type=float, default=3.0, help="seconds both nodes run after seeing each other, before the kill")
    ap.add_argument("--soak", type=int, default=0, help="seconds of CPU hog; counts false deaths instead of timing")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (network namespaces)")
    nets = Namespaces()
    work = tempfile.mkdtemp(prefix="tandem-bench-")
    try:
        if args.soak:
            one_run(args, nets, work)
            return
        times = []
        for i in range(args.runs):
            ms = one_run(args, nets, work)
            times.append(ms)
            print(f"run {i + 1}: {ms:.0f} ms", flush=True)
        times.sort()
        p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
        print(f"{args.impl} keepalive {args.keepalive_ms} ms deadtime {args.deadtime_ms} ms, {len(times)} runs: "
              f"min {times[0]:.0f} median {statistics.median(times):.0f} p90 {p(0.9):.0f} max {times[-1]:.0f} ms")
    finally:
        nets.close()
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("work dir", work)


if __name__ == "__main__":
    main()
