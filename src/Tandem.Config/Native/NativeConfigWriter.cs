using System.Globalization;
using System.Text;
using Tandem.Core.Model;

namespace Tandem.Config.Native;

/// <summary>Writes a cluster model as a native <c>tandem.toml</c> (what <c>tandem config convert</c> prints).</summary>
public static class NativeConfigWriter
{
    /// <summary>Formats the model; reading the result back gives an equal model.</summary>
    /// <param name="spec">The cluster.</param>
    /// <returns>The TOML text.</returns>
    public static string Write(ClusterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var w = new Writer();
        w.Comment("tandem.toml: the native configuration of a Tandem cluster (docs/configuration-native.md).");
        if (HasSecrets(spec))
        {
            w.Comment("This file holds secrets (authentication keys): it must be mode 600, owned by root");
            w.Comment("(chmod 600 tandem.toml); Tandem refuses it when group or others can read it.");
        }
        if (spec.Sources.Count > 0)
        {
            w.Comment("Converted from: " + string.Join(", ", spec.Sources.Select(OneLine)));
        }

        w.Section("The cluster name (packets of other clusters are rejected) and what happens when a group's preferred node comes back.", "[cluster]");
        w.Key("name", spec.Name);
        w.Raw("auto_failback", TomlText.Quote(spec.AutoFailback.ToString().ToLowerInvariant()));

        w.Section("Heartbeat timing: a heartbeat every keepalive; a node silent on every link for deadtime is dead.", "[timing]");
        w.Duration("keepalive", spec.Timing.Keepalive);
        w.Duration("warntime", spec.Timing.Warntime);
        w.Duration("deadtime", spec.Timing.Deadtime);
        w.Duration("initdead", spec.Timing.Initdead);
        w.Duration("deadping", spec.Timing.Deadping);

        WriteNodes(w, spec);
        WriteLinks(w, spec);
        WriteAuth(w, spec);
        WriteReplicated(w, spec);
        WriteGroups(w, spec);
        WriteFencing(w, spec);
        WriteMisc(w, spec);
        return w.ToString();
    }

    private static bool HasSecrets(ClusterSpec spec) =>
        spec.Auth?.Keys.Any(k => k.Secret.Length > 0) == true || spec.Replicated.Any(r => r.Net.SharedSecret is not null);

    private static string OneLine(string s) => s.Replace('\n', ' ').Replace('\r', ' ');

    private static void WriteNodes(Writer w, ClusterSpec spec)
    {
        var first = true;
        foreach (var node in spec.Nodes)
        {
            w.Section(first ? "The members; each name equals the node's 'uname -n' (or its --node when several run on one machine)." : null, "[[node]]");
            first = false;
            w.Key("name", node.Name);
            w.OptionalKey("nbd_listen", node.NbdListen);
            if (node.NbdTls is { } tls)
            {
                w.Key("nbd_tls_certificate", tls.Certificate);
                w.OptionalKey("nbd_tls_key", tls.Key);
                w.OptionalKey("nbd_tls_client_ca", tls.ClientCa);
                if (tls.VerifyClient != (tls.ClientCa is null ? NbdClientCertificates.None : NbdClientCertificates.Required))
                {
                    w.Key("nbd_tls_verify_client", tls.VerifyClient.ToString().ToLowerInvariant());
                }
            }
            if (node.NbdInsecure)
            {
                w.Raw("nbd_insecure", "true");
            }
        }
    }

    private static void WriteLinks(Writer w, ClusterSpec spec)
    {
        var first = true;
        foreach (var link in spec.Links)
        {
            w.Section(first ? "Heartbeat links. A node is dead only when every link has been silent for deadtime." : null, "[[link]]");
            first = false;
            switch (link)
            {
                case UnicastLinkSpec u:
                    w.Raw("kind", "\"ucast\"");
                    w.Key("name", u.Name);
                    w.OptionalKey("interface", u.Interface);
                    w.Int("port", u.Port);
                    foreach (var e in u.Endpoints)
                    {
                        w.Section(null, "[[link.endpoint]]");
                        w.Key("address", e.Address);
                        if (e.Port is { } p)
                        {
                            w.Int("port", p);
                        }
                        w.OptionalKey("node", e.Node);
                    }
                    break;
                case BroadcastLinkSpec b:
                    w.Raw("kind", "\"bcast\"");
                    w.Key("name", b.Name);
                    w.Key("interface", b.Interface);
                    w.Int("port", b.Port);
                    break;
                case MulticastLinkSpec m:
                    w.Raw("kind", "\"mcast\"");
                    w.Key("name", m.Name);
                    w.Key("interface", m.Interface);
                    w.Key("group", m.Group);
                    w.Int("port", m.Port);
                    w.Int("ttl", m.Ttl);
                    w.Raw("loop", m.Loop ? "true" : "false");
                    break;
                case SerialLinkSpec s:
                    w.Raw("kind", "\"serial\"");
                    w.Key("name", s.Name);
                    if (s.Device.Length > 0)
                    {
                        w.Key("device", s.Device);
                    }
                    w.Int("baud", s.Baud);
                    if (s.DeviceByNode.Count > 0)
                    {
                        w.Raw("devices", TomlText.InlineTable(s.DeviceByNode));
                    }
                    break;
                default:
                    throw new ArgumentException($"unknown link type {link.GetType().Name}", nameof(spec));
            }
        }
    }

    private static void WriteAuth(Writer w, ClusterSpec spec)
    {
        if (spec.Auth is not { } auth)
        {
            w.Blank();
            w.Comment("No [auth]: cluster messages are not authenticated.");
            return;
        }
        w.Section("Message authentication: 'active' signs what this node sends; every key listed is accepted.", "[auth]");
        w.Int("active", auth.ActiveIndex);
        foreach (var key in auth.Keys)
        {
            w.Section(null, "[[auth.key]]");
            w.Int("index", key.Index);
            w.Raw("method", TomlText.Quote(key.Method.ToString().ToLowerInvariant()));
            if (key.Method != AuthMethod.Crc || key.Secret.Length > 0)
            {
                w.Key("secret", key.Secret);
            }
        }
    }

    private static void WriteReplicated(Writer w, ClusterSpec spec)
    {
        var first = true;
        foreach (var r in spec.Replicated)
        {
            w.Section(first ? "Replicated resources (DRBD's 'resource'): one connection between the hosts, one or more volumes." : null, "[[replicated]]");
            first = false;
            w.Key("name", r.Name);
            w.Raw("protocol", TomlText.Quote(r.Protocol.ToString()));

            w.Section(null, "[replicated.net]");
            w.OptionalKey("cram_hmac_alg", r.Net.CramHmacAlg);
            w.OptionalKey("shared_secret", r.Net.SharedSecret);
            w.Key("after_sb_0pri", r.Net.AfterSb0Pri);
            w.Key("after_sb_1pri", r.Net.AfterSb1Pri);
            w.Key("after_sb_2pri", r.Net.AfterSb2Pri);
            w.Raw("allow_two_primaries", r.Net.AllowTwoPrimaries ? "true" : "false");
            w.OptionalKey("verify_alg", r.Net.VerifyAlg);
            w.OptionalKey("csums_alg", r.Net.CsumsAlg);
            w.Duration("timeout", r.Net.Timeout);
            w.Duration("ping_int", r.Net.PingInterval);
            w.Duration("ping_timeout", r.Net.PingTimeout);
            w.Duration("connect_int", r.Net.ConnectInterval);
            if (r.Net.Other.Count > 0)
            {
                w.Raw("other", TomlText.InlineTable(r.Net.Other));
            }

            w.Section(null, "[replicated.disk]");
            w.Key("on_io_error", r.Disk.OnIoError);
            w.Key("fencing", r.Disk.Fencing);
            w.Raw("resync_rate", TomlText.Quote(NativeUnits.FormatRate(r.Disk.ResyncRate)));
            w.Int("al_extents", r.Disk.AlExtents);
            if (r.Disk.Other.Count > 0)
            {
                w.Raw("other", TomlText.InlineTable(r.Disk.Other));
            }

            w.Section(null, "[replicated.startup]");
            w.Duration("wfc_timeout", r.Startup.WfcTimeout);
            w.Duration("degr_wfc_timeout", r.Startup.DegrWfcTimeout);
            w.Duration("outdated_wfc_timeout", r.Startup.OutdatedWfcTimeout);

            if (r.Handlers.Count > 0)
            {
                w.Section(null, "[replicated.handlers]");
                foreach (var (k, v) in r.Handlers)
                {
                    w.Key(k, v);
                }
            }

            foreach (var host in r.Hosts)
            {
                w.Section(null, "[[replicated.host]]");
                w.Key("name", host.Name);
                w.Key("address", host.Address);
                foreach (var v in host.Volumes)
                {
                    w.Section(null, "[[replicated.host.volume]]");
                    w.Int("number", v.Number);
                    w.Key("device", v.Device);
                    w.Key("disk", v.Disk);
                    w.Key("meta_disk", v.MetaDisk);
                }
            }
        }
    }

    private static void WriteGroups(Writer w, ClusterSpec spec)
    {
        var first = true;
        var defaults = new ResourceSpec("", "");
        foreach (var g in spec.Groups)
        {
            w.Section(first ? "Resource groups: started in order on one node at a time, stopped in reverse." : null, "[[group]]");
            first = false;
            w.Key("name", g.Name);
            w.Key("preferred_node", g.PreferredNode);
            foreach (var r in g.Resources)
            {
                w.Section(null, "[[group.resource]]");
                w.Key("id", r.Id);
                w.Key("agent", r.Agent);
                if (r.Class != AgentClass.Heartbeat)
                {
                    w.Raw("class", TomlText.Quote(r.Class == AgentClass.BuiltIn ? "builtin" : r.Class.ToString().ToLowerInvariant()));
                }
                w.OptionalKey("provider", r.Provider);
                if (r.Arguments.Count > 0)
                {
                    w.Raw("arguments", TomlText.Array(r.Arguments));
                }
                if (r.Parameters.Count > 0)
                {
                    w.Raw("parameters", TomlText.InlineTable(r.Parameters));
                }
                if (r.StartTimeout != defaults.StartTimeout)
                {
                    w.Duration("start_timeout", r.StartTimeout);
                }
                if (r.StopTimeout != defaults.StopTimeout)
                {
                    w.Duration("stop_timeout", r.StopTimeout);
                }
                if (r.MonitorTimeout != defaults.MonitorTimeout)
                {
                    w.Duration("monitor_timeout", r.MonitorTimeout);
                }
                if (r.MonitorInterval != TimeSpan.Zero)
                {
                    w.Duration("monitor_interval", r.MonitorInterval);
                }
            }
        }
    }

    private static void WriteFencing(Writer w, ClusterSpec spec)
    {
        var f = spec.Fencing;
        if (f.Disabled)
        {
            w.Section("Fencing is disabled: takeovers proceed without fencing the dead node, with a warning each time.", "[fencing]");
            w.Raw("disabled", "true");
        }
        else if (f.Devices.Count > 0)
        {
            w.Section("Fence devices, tried in order, before a dead node's groups are taken over.", "[fencing]");
        }
        else
        {
            w.Blank();
            w.Comment("No fence device is configured and fencing is not disabled.");
        }
        foreach (var d in f.Devices)
        {
            w.Section(null, "[[fencing.device]]");
            w.Key("name", d.Name);
            w.Raw("kind", TomlText.Quote(d.Kind switch
            {
                FenceKind.FenceAgent => "fence-agent",
                FenceKind.Script => "script",
                FenceKind.Manual => "manual",
                _ => "stonith",
            }));
            if (d.Command.Length > 0 || d.Kind != FenceKind.Manual)
            {
                w.Key("command", d.Command);
            }
            if (d.Parameters.Count > 0)
            {
                w.Raw("parameters", TomlText.InlineTable(d.Parameters));
            }
            if (d.Targets.Count > 0)
            {
                w.Raw("targets", TomlText.Array(d.Targets));
            }
            w.OptionalKey("runs_on", d.RunsOn);
        }
    }

    private static void WriteMisc(Writer w, ClusterSpec spec)
    {
        if (spec.Notification != new NotificationSpec())
        {
            w.Section("Where notification mail is relayed.", "[notification]");
            w.Key("smtp_relay", spec.Notification.SmtpRelay);
            w.OptionalKey("from", spec.Notification.From);
        }
        var first = true;
        foreach (var p in spec.Ping)
        {
            if (!p.IsGroup)
            {
                foreach (var a in p.Addresses)
                {
                    w.Section(first ? "Ping nodes and groups: the node that reaches fewer of them gives its groups up (ipfail)." : null, "[[ping]]");
                    first = false;
                    w.Key("address", a);
                }
                continue;
            }
            w.Section(first ? "Ping nodes and groups: the node that reaches fewer of them gives its groups up (ipfail)." : null, "[[ping]]");
            first = false;
            w.Key("group", p.Name);
            w.Raw("addresses", TomlText.Array(p.Addresses));
        }
        if (spec.Logging != new LoggingSpec())
        {
            w.Section("Logging destinations.", "[logging]");
            w.OptionalKey("facility", spec.Logging.Facility);
            w.OptionalKey("file", spec.Logging.LogFile);
            w.OptionalKey("debug_file", spec.Logging.DebugFile);
        }
        first = true;
        foreach (var r in spec.Respawn)
        {
            w.Section(first ? "Programs the daemon runs and restarts (exit code 100: do not restart)." : null, "[[respawn]]");
            first = false;
            w.Key("user", r.User);
            w.Key("command", r.Command);
        }
    }

    private sealed class Writer
    {
        private readonly StringBuilder _sb = new();

        public void Comment(string text) => _sb.Append("# ").Append(OneLine(text)).Append('\n');

        public void Blank() => _sb.Append('\n');

        public void Section(string? comment, string header)
        {
            _sb.Append('\n');
            if (comment is not null)
            {
                Comment(comment);
            }
            _sb.Append(header).Append('\n');
        }

        public void Raw(string key, string literal) => _sb.Append(TomlText.Key(key)).Append(" = ").Append(literal).Append('\n');

        public void Key(string key, string value) => Raw(key, TomlText.Quote(value));

        public void OptionalKey(string key, string? value)
        {
            if (value is not null)
            {
                Key(key, value);
            }
        }

        public void Int(string key, long value) => Raw(key, value.ToString(CultureInfo.InvariantCulture));

        public void Duration(string key, TimeSpan value) => Raw(key, TomlText.Quote(NativeUnits.FormatDuration(value)));

        public override string ToString() => _sb.ToString();
    }
}
