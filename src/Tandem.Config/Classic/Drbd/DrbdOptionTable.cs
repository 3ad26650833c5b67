namespace Tandem.Config.Classic.Drbd;

/// <summary>
/// The option keywords of each drbd.conf section, from drbd.conf(5) of 8.4 and 9 plus the 0.7–8.3
/// keywords two-node users still have in their files. Ranges follow drbd_limits.h loosely: they
/// catch nonsense, not every value the kernel would refuse.
/// </summary>
public static class DrbdOptionTable
{
    private const long KiB = 1024;
    private const long MiB = 1024 * KiB;
    private const long GiB = 1024 * MiB;
    private const long Sector = 512;

    /// <summary>The after-sb-0pri policies (drbd.md §5.1); <c>discard-node-NAME</c> is also accepted.</summary>
    public static readonly IReadOnlyList<string> AfterSb0Pri =
        ["disconnect", "discard-younger-primary", "discard-older-primary", "discard-zero-changes", "discard-least-changes", "discard-local", "discard-remote"];

    /// <summary>The after-sb-1pri policies.</summary>
    public static readonly IReadOnlyList<string> AfterSb1Pri =
        ["disconnect", "consensus", "discard-secondary", "call-pri-lost-after-sb", "violently-as0p"];

    /// <summary>The after-sb-2pri policies.</summary>
    public static readonly IReadOnlyList<string> AfterSb2Pri =
        ["disconnect", "call-pri-lost-after-sb", "violently-as0p"];

    /// <summary>The on-io-error policies.</summary>
    public static readonly IReadOnlyList<string> OnIoError = ["detach", "pass_on", "call-local-io-error"];

    /// <summary>The fencing policies.</summary>
    public static readonly IReadOnlyList<string> Fencing = ["dont-care", "resource-only", "resource-and-stonith"];

    /// <summary>The handler names of 8.4 and 9.</summary>
    public static readonly IReadOnlyList<string> Handlers =
    [
        "pri-on-incon-degr", "pri-lost-after-sb", "pri-lost", "fence-peer", "unfence-peer", "local-io-error",
        "initial-split-brain", "split-brain", "before-resync-target", "after-resync-target", "before-resync-source",
        "after-resync-source", "out-of-sync", "quorum-lost", "disconnected", "mk-md", "peer-lost",
    ];

    /// <summary>The sections and their options, by section keyword.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, DrbdOption>> Sections { get; } = Build();

    /// <summary>Finds an option of a section.</summary>
    /// <param name="section">The section keyword.</param>
    /// <param name="name">The option keyword.</param>
    /// <returns>The option, or null.</returns>
    public static DrbdOption? Find(string section, string name) =>
        Sections.TryGetValue(section, out var options) && options.TryGetValue(name, out var option) ? option : null;

    /// <summary>The sections (other than <paramref name="except"/>) that know an option keyword.</summary>
    /// <param name="name">The keyword.</param>
    /// <param name="except">The section to leave out.</param>
    /// <returns>The section names.</returns>
    public static IReadOnlyList<string> SectionsOf(string name, string except) =>
        [.. Sections.Where(s => s.Key != except && s.Value.ContainsKey(name)).Select(s => s.Key)];

    private static Dictionary<string, IReadOnlyDictionary<string, DrbdOption>> Build()
    {
        string[] yesNoAsk = ["yes", "no", "ask"];
        var global = Table(
            Opt("usage-count", DrbdOptionKind.Enum) with { Values = yesNoAsk, NotActedOn = true },
            Num("minor-count", 1, 1048576) with { NotActedOn = true },
            Num("dialog-refresh", 0, 600, "seconds") with { NotActedOn = true },
            Opt("disable-ip-verification", DrbdOptionKind.Flag) with { NotActedOn = true },
            Opt("udev-always-use-vnr", DrbdOptionKind.Flag) with { NotActedOn = true },
            Opt("cmd-timeout-short", DrbdOptionKind.Number) with { NotActedOn = true, Max = 1_000_000 },
            Opt("cmd-timeout-medium", DrbdOptionKind.Number) with { NotActedOn = true, Max = 1_000_000 },
            Opt("cmd-timeout-long", DrbdOptionKind.Number) with { NotActedOn = true, Max = 1_000_000 });

        var net = Table(
            En("protocol", "A", "B", "C"),
            Opt("cram-hmac-alg", DrbdOptionKind.Text),
            Opt("shared-secret", DrbdOptionKind.Text),
            En("after-sb-0pri", [.. AfterSb0Pri]),
            En("after-sb-1pri", [.. AfterSb1Pri]),
            En("after-sb-2pri", [.. AfterSb2Pri]),
            Opt("allow-two-primaries", DrbdOptionKind.Flag),
            Opt("always-asbp", DrbdOptionKind.Flag),
            En("rr-conflict", "disconnect", "call-pri-lost", "violently", "retry-connect", "auto-discard"),
            Opt("verify-alg", DrbdOptionKind.Text),
            Opt("csums-alg", DrbdOptionKind.Text),
            Opt("csums-after-crash-only", DrbdOptionKind.Flag),
            Opt("data-integrity-alg", DrbdOptionKind.Text),
            Num("timeout", 1, 600, "0.1 s"),
            Num("ping-int", 1, 120, "seconds"),
            Num("ping-timeout", 1, 300, "0.1 s"),
            Num("connect-int", 1, 120, "seconds"),
            Num("ko-count", 0, 200),
            Num("max-buffers", 32, 131072, "pages"),
            Num("max-epoch-size", 1, 20000, "writes"),
            Size("sndbuf-size", 1, 0, 10 * MiB),
            Size("rcvbuf-size", 1, 0, 10 * MiB),
            Num("unplug-watermark", 1, 131072) with { Legacy = "'unplug-watermark' is a DRBD 8.3/8.4 tuning knob that DRBD 9 dropped; Tandem does not act on it" },
            Opt("tcp-cork", DrbdOptionKind.Flag),
            Neg("no-tcp-cork", "tcp-cork", "8.3"),
            En("on-congestion", "block", "pull-ahead", "disconnect"),
            Size("congestion-fill", Sector, 0, 10 * GiB),
            Num("congestion-extents", 1, 65534),
            Opt("use-rle", DrbdOptionKind.Flag),
            Num("socket-check-timeout", 0, 300, "0.1 s"),
            Opt("discard-my-data", DrbdOptionKind.Flag),
            Opt("allow-remote-read", DrbdOptionKind.Flag),
            En("fencing", [.. Fencing]) with { TargetSection = "disk" },
            Opt("transport", DrbdOptionKind.Text),
            Opt("load-balance-paths", DrbdOptionKind.Flag),
            Opt("tls", DrbdOptionKind.Flag),
            Opt("tls-keyring", DrbdOptionKind.Text),
            Opt("tls-privkey", DrbdOptionKind.Text),
            Opt("tls-certificate", DrbdOptionKind.Text),
            Num("twopc-timeout", 50, 600, "0.1 s"),
            Num("twopc-retry-timeout", 1, 50, "0.1 s"),
            Num("max-buffers", 32, 131072, "pages"),
            Size("rdma-ctrl-rcvbuf-size", 1, 0, GiB),
            Size("rdma-ctrl-sndbuf-size", 1, 0, GiB),
            En("on-disconnect", "stand_alone", "reconnect", "freeze_io") with { Legacy = "'on-disconnect' is a DRBD 0.7/8.0 keyword that later versions dropped (DRBD always reconnects); Tandem does not act on it" });

        var disk = Table(
            Opt("on-io-error", DrbdOptionKind.Enum) with { Values = [.. OnIoError, "panic"] },
            En("fencing", [.. Fencing]),
            Size("resync-rate", KiB, KiB, 4L * 1024 * GiB) with { UnitName = "KiB/s" },
            Num("al-extents", 7, 65534),
            Opt("al-updates", DrbdOptionKind.Flag),
            Size("size", Sector, 0, long.MaxValue / 2),
            Opt("disk-barrier", DrbdOptionKind.Flag),
            Opt("disk-flushes", DrbdOptionKind.Flag),
            Opt("disk-drain", DrbdOptionKind.Flag),
            Opt("md-flushes", DrbdOptionKind.Flag),
            Neg("no-disk-barrier", "disk-barrier", "8.3"),
            Neg("no-disk-flushes", "disk-flushes", "8.3"),
            Neg("no-disk-drain", "disk-drain", "8.3"),
            Neg("no-md-flushes", "md-flushes", "8.3"),
            Opt("resync-after", DrbdOptionKind.Text),
            Num("c-plan-ahead", 0, 300, "0.1 s"),
            Num("c-delay-target", 1, 100, "0.1 s"),
            Size("c-fill-target", Sector, 0, GiB),
            Size("c-max-rate", KiB, 0, 4L * 1024 * GiB),
            Size("c-min-rate", KiB, 0, 4L * 1024 * GiB),
            Num("disk-timeout", 0, 6000, "0.1 s"),
            En("read-balancing", "prefer-local", "prefer-remote", "round-robin", "least-pending", "when-congested-remote",
                "32K-striping", "64K-striping", "128K-striping", "256K-striping", "512K-striping", "1M-striping"),
            Opt("discard-zeroes-if-aligned", DrbdOptionKind.Flag),
            Size("rs-discard-granularity", 1, 0, MiB),
            Opt("disable-write-same", DrbdOptionKind.Flag),
            Opt("bitmap", DrbdOptionKind.Flag),
            Num("max-bio-bvecs", 0, 128) with { Legacy = "'max-bio-bvecs' is a DRBD 8.3/8.4 keyword that DRBD 9 dropped; Tandem does not act on it" },
            Opt("use-bmbv", DrbdOptionKind.Flag) with { Legacy = "'use-bmbv' is a DRBD 8.3 keyword that 8.4 dropped; Tandem does not act on it" },
            Opt("block-size", DrbdOptionKind.Number) with { Min = 512, Max = 4096 });

        var startup = Table(
            Num("wfc-timeout", 0, 300000, "seconds"),
            Num("degr-wfc-timeout", 0, 300000, "seconds"),
            Num("outdated-wfc-timeout", 0, 300000, "seconds"),
            Opt("wait-after-sb", DrbdOptionKind.Flag),
            Opt("become-primary-on", DrbdOptionKind.Text),
            Opt("stacked-timeouts", DrbdOptionKind.Flag));

        var options = Table(
            Opt("cpu-mask", DrbdOptionKind.Text),
            En("on-no-data-accessible", "io-error", "suspend-io"),
            Opt("auto-promote", DrbdOptionKind.Flag),
            Num("auto-promote-timeout", 0, 600, "0.1 s"),
            Opt("quorum", DrbdOptionKind.Quorum),
            En("on-no-quorum", "io-error", "suspend-io"),
            Opt("quorum-minimum-redundancy", DrbdOptionKind.Quorum),
            En("on-suspended-primary-outdated", "disconnect", "force-secondary"),
            Size("peer-ack-window", Sector, 2 * KiB, long.MaxValue / 2),
            Num("peer-ack-delay", 1, 10000, "ms"),
            Num("twopc-timeout", 50, 600, "0.1 s"),
            Num("twopc-retry-timeout", 1, 50, "0.1 s"),
            Num("max-io-depth", 4, 4096));

        // The 0.7–8.3 syncer section: each keyword is read into its 8.4 place.
        var syncer = Table(
            Size("rate", KiB, KiB, 4L * 1024 * GiB) with { TargetSection = "disk", TargetName = "resync-rate", UnitName = "KiB/s" },
            Num("al-extents", 7, 65534) with { TargetSection = "disk" },
            Opt("verify-alg", DrbdOptionKind.Text) with { TargetSection = "net" },
            Opt("csums-alg", DrbdOptionKind.Text) with { TargetSection = "net" },
            Opt("after", DrbdOptionKind.Text) with { TargetSection = "disk", TargetName = "resync-after" },
            Opt("cpu-mask", DrbdOptionKind.Text) with { TargetSection = "options" },
            Opt("use-rle", DrbdOptionKind.Flag) with { TargetSection = "net" },
            Num("c-plan-ahead", 0, 300, "0.1 s") with { TargetSection = "disk" },
            Num("c-delay-target", 1, 100, "0.1 s") with { TargetSection = "disk" },
            Size("c-fill-target", Sector, 0, GiB) with { TargetSection = "disk" },
            Size("c-max-rate", KiB, 0, 4L * 1024 * GiB) with { TargetSection = "disk" },
            Size("c-min-rate", KiB, 0, 4L * 1024 * GiB) with { TargetSection = "disk" },
            En("on-no-data-accessible", "io-error", "suspend-io") with { TargetSection = "options" },
            Opt("group", DrbdOptionKind.Text) with { Legacy = "'group' is the DRBD 0.7 way to order resyncs, replaced by 'after' in 8.0 and 'resync-after' in 8.4; Tandem does not act on it" },
            Opt("delay-probe-volume", DrbdOptionKind.Text) with { Legacy = "'delay-probe-volume' is a DRBD 8.3 keyword that 8.4 dropped; Tandem does not act on it" },
            Opt("delay-probe-interval", DrbdOptionKind.Text) with { Legacy = "'delay-probe-interval' is a DRBD 8.3 keyword that 8.4 dropped; Tandem does not act on it" },
            Opt("dynamic-resync", DrbdOptionKind.Flag) with { Legacy = "'dynamic-resync' is a DRBD 8.3 keyword that 8.4 dropped (the c-* controller replaced it); Tandem does not act on it" });

        return new Dictionary<string, IReadOnlyDictionary<string, DrbdOption>>(StringComparer.Ordinal)
        {
            ["global"] = global,
            ["net"] = net,
            ["disk"] = disk,
            ["startup"] = startup,
            ["options"] = options,
            ["syncer"] = syncer,
        };
    }

    private static Dictionary<string, DrbdOption> Table(params DrbdOption[] options)
    {
        var table = new Dictionary<string, DrbdOption>(StringComparer.Ordinal);
        foreach (var option in options)
        {
            table[option.Name] = option;
        }
        return table;
    }

    private static DrbdOption Opt(string name, DrbdOptionKind kind) => new(name, kind);

    private static DrbdOption En(string name, params string[] values) => new(name, DrbdOptionKind.Enum) { Values = values };

    private static DrbdOption Num(string name, long min, long max, string? unit = null) =>
        new(name, DrbdOptionKind.Number) { Min = min, Max = max, UnitName = unit };

    private static DrbdOption Size(string name, long unit, long min, long max) =>
        new(name, DrbdOptionKind.Size) { Unit = unit, Min = min, Max = max };

    private static DrbdOption Neg(string name, string negates, string version) =>
        new(name, DrbdOptionKind.Negation)
        {
            TargetName = negates,
            Legacy = $"'{name}' is the DRBD {version} spelling of '{negates} no' (8.4 syntax); read as such",
        };
}
