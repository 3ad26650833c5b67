using System.Globalization;
using Tandem.Core.Model;

namespace Tandem.Config.Classic.Drbd;

public sealed partial class DrbdModelBuilder
{
    private void Resource(DrbdStatement s)
    {
        if (s.Arguments.Count == 0)
        {
            Error(DrbdCodes.BadShape, s.Keyword, "'resource' needs a name", "write 'resource r0 { ... }'");
            return;
        }
        if (Section(s, s_topKeywords, 1, "a name") is not { } body)
        {
            return;
        }
        var nameToken = s.Arguments[0];
        var draft = new ResourceDraft(nameToken.Text, nameToken);
        if (_resourceNames.TryGetValue(draft.Name, out var first))
        {
            Error(DrbdCodes.DuplicateResource, nameToken, $"resource '{Shorten(draft.Name)}' is defined twice (first at {first.File}:{first.Line}:{first.Column})",
                "rename one of them; resource names must be unique across all included files");
            return;
        }
        _resourceNames[draft.Name] = nameToken;
        Walk(body, r => ResourceStatement(r, draft));
        _drafts.Add(draft);
    }

    private void ResourceStatement(DrbdStatement s, ResourceDraft draft)
    {
        switch (s.Name)
        {
            case "protocol":
                Option("net", s, draft.Settings);
                break;
            case "net" or "startup" or "handlers" or "options" or "syncer":
                OptionSection(s, draft.Settings, s_resourceKeywords);
                break;
            case "disk" when s.Body is not null:
                OptionSection(s, draft.Settings, s_resourceKeywords);
                break;
            case "device" or "disk" or "meta-disk" or "flexible-meta-disk":
                VolumeField(s, draft.Defaults, s_resourceKeywords);
                break;
            case "volume":
                Volume(s, draft.Volumes, s_resourceKeywords);
                break;
            case "on":
                Host(s, draft);
                break;
            case "connection":
                Connection(s, draft);
                break;
            case "connection-mesh":
                Mesh(s, draft);
                break;
            case "incon-degr-cmd":
                if (NoBody(s) && Args(s, 1, 1, s_resourceKeywords, "a command") is not null)
                {
                    Info(DrbdCodes.LegacyKeyword, s.Keyword,
                        "'incon-degr-cmd' is a DRBD 0.7/8.0 keyword that 8.4 dropped (its job moved to the 'pri-on-incon-degr' handler); Tandem does not act on it: it never promotes a node with inconsistent data");
                }
                break;
            case "floating":
                Error(DrbdCodes.Unsupported, s.Keyword, "'floating' peers (chosen by IP address) are not supported",
                    "name each node with 'on HOSTNAME { ... }' (the name is uname -n)");
                break;
            case "stacked-on-top-of":
                Error(DrbdCodes.Unsupported, s.Keyword, "stacked resources ('stacked-on-top-of') are not supported",
                    "Tandem replicates between two nodes; remove the stacked resource");
                break;
            default:
                Unknown(s, "in 'resource'", s_resourceKeywords);
                break;
        }
    }

    private void Host(DrbdStatement s, ResourceDraft draft)
    {
        if (s.Arguments.Count == 0)
        {
            Error(DrbdCodes.BadShape, s.Keyword, "'on' needs a host name", "write 'on HOSTNAME { ... }' (the name is uname -n)");
            return;
        }
        if (s.Arguments.Count > 1 && s.Body is not null)
        {
            Error(DrbdCodes.Unsupported, s.Arguments[1], "'on' with several host names is not supported",
                "write one 'on HOSTNAME { ... }' section per node");
            return;
        }
        if (Section(s, s_resourceKeywords, 1, "a host name") is not { } body)
        {
            return;
        }
        var name = s.Arguments[0];
        if (draft.Hosts.Find(h => h.Name == name.Text) is { } earlier)
        {
            Error(DrbdCodes.Duplicate, name, $"host '{Shorten(name.Text)}' appears twice in resource '{draft.Name}' (first at {earlier.At.Line}:{earlier.At.Column})",
                "merge the two 'on' sections");
            return;
        }
        var host = new HostDraft(name.Text, name);
        Walk(body, h => HostStatement(h, host));
        draft.Hosts.Add(host);
    }

    private void HostStatement(DrbdStatement s, HostDraft host)
    {
        switch (s.Name)
        {
            case "address":
                if ((Address(s, s_hostKeywords) ?? new Field("", s.Keyword, Invalid: true)) is { } address)
                {
                    if (host.Address is { } old)
                    {
                        Error(DrbdCodes.Duplicate, s.Keyword, $"host '{host.Name}' has a second 'address' (first at {old.At.Line}:{old.At.Column})", "keep one");
                    }
                    else
                    {
                        host.Address = address;
                    }
                }
                break;
            case "node-id":
                if (NoBody(s) && Args(s, 1, 1, s_hostKeywords, "a number (0..31)") is { } args && Number(s, args[0], 0, 31, null) is { } id)
                {
                    host.NodeId = (int)id;
                }
                break;
            case "volume":
                Volume(s, host.Volumes, s_hostKeywords);
                break;
            case "device" or "disk" or "meta-disk" or "flexible-meta-disk":
                if (s.Name == "disk" && s.Body is not null)
                {
                    host.DiskSettings ??= new DrbdSettings();
                    OptionSection(s, host.DiskSettings, s_hostKeywords);
                    break;
                }
                VolumeField(s, host.Defaults, s_hostKeywords);
                break;
            default:
                Unknown(s, "in 'on " + host.Name + "'", s_hostKeywords);
                break;
        }
    }

    private void Volume(DrbdStatement s, SortedDictionary<int, VolumeDraft> volumes, IReadOnlyCollection<string> context)
    {
        if (s.Arguments.Count == 0)
        {
            Error(DrbdCodes.BadShape, s.Keyword, "'volume' needs a number", "write 'volume 0 { device ...; disk ...; meta-disk ...; }'");
            return;
        }
        if (Section(s, context, 1, "a number") is not { } body)
        {
            return;
        }
        if (Number(s, s.Arguments[0], 0, 65535, null) is not { } n)
        {
            return;
        }
        var number = (int)n;
        if (volumes.TryGetValue(number, out var existing))
        {
            Error(DrbdCodes.Duplicate, s.Arguments[0], $"volume {number} is defined twice here (first at {existing.At.Line}:{existing.At.Column})",
                "merge the two volume sections");
            return;
        }
        var volume = new VolumeDraft(s.Arguments[0]);
        Walk(body, v =>
        {
            if (v.Name == "disk" && v.Body is not null)
            {
                volume.DiskSettings ??= new DrbdSettings();
                OptionSection(v, volume.DiskSettings, s_volumeKeywords);
            }
            else if (s_volumeKeywords.Contains(v.Name))
            {
                VolumeField(v, volume, s_volumeKeywords);
            }
            else
            {
                Unknown(v, $"in 'volume {number}'", s_volumeKeywords);
            }
        });
        volumes[number] = volume;
    }

    // device / disk / meta-disk: the three statements that describe one volume's storage.
    private void VolumeField(DrbdStatement s, VolumeDraft volume, IReadOnlyCollection<string> context)
    {
        if (!NoBody(s))
        {
            return;
        }
        Field? value = s.Name switch
        {
            "device" => Device(s, context),
            "disk" => Disk(s, context),
            _ => MetaDisk(s, context),
        };
        value ??= new Field("", s.Keyword, Invalid: true);
        var name = s.Name == "flexible-meta-disk" ? "meta-disk" : s.Name;
        var old = name switch { "device" => volume.Device, "disk" => volume.Disk, _ => volume.MetaDisk };
        if (old is not null)
        {
            Error(DrbdCodes.Duplicate, s.Keyword, $"'{name}' is given twice here (first at {old.At.Line}:{old.At.Column})", "keep one");
            return;
        }
        switch (name)
        {
            case "device":
                volume.Device = value;
                break;
            case "disk":
                volume.Disk = value;
                break;
            default:
                volume.MetaDisk = value;
                break;
        }
    }

    private Field? Device(DrbdStatement s, IReadOnlyCollection<string> context)
    {
        var a = s.Arguments;
        var max = a.Count > 0 && a[0].Text == "minor" ? 2 : a.Count >= 2 && a[1].Text == "minor" ? 3 : 1;
        if (Args(s, 1, max, context, "a device: /dev/drbdN, or 'minor N'") is not { } args)
        {
            return null;
        }
        if (args[0].Text == "minor")
        {
            if (args.Count < 2)
            {
                Error(DrbdCodes.BadShape, args[0], "'device minor' needs a number", "write 'device minor 0;'");
                return null;
            }
            return Number(s, args[1], 0, 1048575, null) is { } m ? new Field("/dev/drbd" + m.ToString(CultureInfo.InvariantCulture), s.Keyword) : null;
        }
        var path = args[0].Text;
        if (!path.StartsWith('/'))
        {
            Error(DrbdCodes.BadPath, args[0], $"'device' needs an absolute path, found '{Shorten(path)}'", "write 'device /dev/drbd0;'");
            return null;
        }
        if (args.Count == 3)
        {
            return Number(s, args[2], 0, 1048575, null) is null ? null : new Field(path, s.Keyword);
        }
        if (args.Count == 2)
        {
            Error(DrbdCodes.BadShape, args[1], "'minor' needs a number", $"write 'device {path} minor 0;'");
            return null;
        }
        var digits = path.StartsWith("/dev/drbd", StringComparison.Ordinal) ? path["/dev/drbd".Length..] : "";
        if (!DrbdValues.TryParseNumber(digits, out var minor) || minor > 1048575)
        {
            Error(DrbdCodes.BadPath, args[0], $"cannot tell the minor number of '{Shorten(path)}'",
                $"name it /dev/drbdN, or write 'device {Shorten(path)} minor N;'");
            return null;
        }
        return new Field(path, s.Keyword);
    }

    private Field? Disk(DrbdStatement s, IReadOnlyCollection<string> context)
    {
        if (Args(s, 1, 1, context, "a backing device path, or 'none'") is not { } args)
        {
            return null;
        }
        var path = args[0].Text;
        if (path != "none" && !path.StartsWith('/'))
        {
            Error(DrbdCodes.BadPath, args[0], $"'disk' needs an absolute path or 'none', found '{Shorten(path)}'", "write 'disk /dev/sda3;'");
            return null;
        }
        return new Field(path, s.Keyword);
    }

    private Field? MetaDisk(DrbdStatement s, IReadOnlyCollection<string> context)
    {
        if (s.Name == "flexible-meta-disk")
        {
            Info(DrbdCodes.LegacyKeyword, s.Keyword, "'flexible-meta-disk' is DRBD 8.0–8.3 syntax that 8.4 dropped; read as 'meta-disk'");
        }
        var a = s.Arguments;
        var max = a.Count >= 2 && a[1].Text.StartsWith('[') ? 2 : 1;
        if (Args(s, 1, max, context, "'internal', a path, or a path with [INDEX]") is not { } args)
        {
            return null;
        }
        var text = string.Concat(args.Select(t => t.Text));
        if (text == "internal")
        {
            return new Field("internal", s.Keyword);
        }
        var bracket = text.IndexOf('[', StringComparison.Ordinal);
        var path = bracket < 0 ? text : text[..bracket];
        if (!path.StartsWith('/'))
        {
            Error(DrbdCodes.BadPath, args[0], $"'meta-disk' needs 'internal' or an absolute path, found '{Shorten(text)}'",
                "write 'meta-disk internal;' or 'meta-disk /dev/sdb1[0];'");
            return null;
        }
        if (bracket >= 0)
        {
            var index = text[(bracket + 1)..];
            if (!index.EndsWith(']') || !DrbdValues.TryParseNumber(index[..^1], out var i) || i > 65535)
            {
                Error(DrbdCodes.BadPath, args[0], $"'meta-disk {Shorten(text)}' has a bad index", "write the index as [N], e.g. /dev/sdb1[0]");
                return null;
            }
            return new Field(path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", s.Keyword);
        }
        return new Field(path, s.Keyword);
    }

    private Field? Address(DrbdStatement s, IReadOnlyCollection<string> context)
    {
        if (!NoBody(s))
        {
            return null;
        }
        var a = s.Arguments;
        var max = a.Count > 0 && s_families.Contains(a[0].Text) ? 2 : 1;
        if (Args(s, 1, max, context, "IP:PORT, optionally after ipv4 or ipv6") is not { } args)
        {
            return null;
        }
        string? family = null;
        if (args.Count == 2)
        {
            family = args[0].Text;
        }
        else if (s_families.Contains(args[0].Text))
        {
            Error(DrbdCodes.BadShape, args[0], $"'address {args[0].Text}' needs IP:PORT", $"write 'address {args[0].Text} 10.0.0.1:7788;'");
            return null;
        }
        if (family is "ssocks" or "sdp")
        {
            Info(DrbdCodes.NotActedOn, args[0], $"address family '{family}' is accepted but not acted on: Tandem replicates over TCP");
        }
        var value = args[^1];
        if (!DrbdValues.TryParseAddress(family is "ipv6" ? "ipv6" : family is null ? null : "ipv4", value.Text, out var normalized, out var problem, out var badPort))
        {
            if (family is null && value.Text.StartsWith('[')
                && DrbdValues.TryParseAddress("ipv6", value.Text, out normalized, out _, out _))
            {
                return new Field(normalized, s.Keyword);
            }
            Error(badPort ? DrbdCodes.PortOutOfRange : DrbdCodes.BadAddress, value, $"bad address: {problem}",
                badPort ? "DRBD ports are 1..65535; 7788 and up is customary" : "write 'address 10.0.0.1:7788;' or 'address ipv6 [fd00::1]:7788;'");
            return null;
        }
        return new Field(normalized, s.Keyword);
    }

    private void Connection(DrbdStatement s, ResourceDraft draft)
    {
        if (Section(s, s_resourceKeywords, 1, "an optional name") is not { } body)
        {
            return;
        }
        Walk(body, c =>
        {
            switch (c.Name)
            {
                case "host":
                    ConnectionHost(c, draft, s_connectionKeywords);
                    break;
                case "path":
                    if (Section(c, s_connectionKeywords) is { } pathBody)
                    {
                        Walk(pathBody, p =>
                        {
                            if (p.Name == "host")
                            {
                                ConnectionHost(p, draft, ["host"]);
                            }
                            else
                            {
                                Unknown(p, "in 'path'", ["host"]);
                            }
                        });
                    }
                    break;
                case "net" or "disk":
                    OptionSection(c, draft.Settings, s_connectionKeywords);
                    break;
                case "volume":
                    // Peer-device options of one volume; with a single peer they are the volume's.
                    if (Section(c, s_connectionKeywords, 1, "a number") is { } volumeBody)
                    {
                        Walk(volumeBody, v =>
                        {
                            if (v.Name == "disk")
                            {
                                OptionSection(v, draft.Settings, ["disk"]);
                            }
                            else
                            {
                                Unknown(v, "in a connection's 'volume'", ["disk"]);
                            }
                        });
                    }
                    break;
                default:
                    Unknown(c, "in 'connection'", s_connectionKeywords);
                    break;
            }
        });
    }

    // host NAME [address [AF] IP:PORT] [port N] [via ...];
    private void ConnectionHost(DrbdStatement s, ResourceDraft draft, IReadOnlyCollection<string> context)
    {
        if (!NoBody(s))
        {
            return;
        }
        var a = s.Arguments;
        if (a.Count == 0)
        {
            Error(DrbdCodes.BadShape, s.Keyword, "'host' needs a host name", "write 'host alpha address 10.0.0.1:7788;'");
            return;
        }
        var entry = draft.ConnectionHosts.Find(h => h.Name == a[0].Text);
        if (entry is null)
        {
            entry = new ConnectionHostDraft(a[0].Text, a[0]);
            draft.ConnectionHosts.Add(entry);
        }
        var i = 1;
        while (i < a.Count)
        {
            var word = a[i].Text;
            if (word == "address" && i + 1 < a.Count)
            {
                var take = s_families.Contains(a[i + 1].Text) && i + 2 < a.Count ? 2 : 1;
                var addressStatement = new DrbdStatement(a[i], [.. a.Skip(i + 1).Take(take)], null);
                entry.Address = Address(addressStatement, context) ?? new Field("", a[i], Invalid: true);
                i += 1 + take;
            }
            else if (word == "port" && i + 1 < a.Count)
            {
                if (Number(s, a[i + 1], 1, 65535, null) is { } port)
                {
                    entry.Port = (int)port;
                }
                i += 2;
            }
            else if (word == "via")
            {
                Info(DrbdCodes.NotActedOn, a[i], "'via proxy' is accepted but not acted on: Tandem connects directly");
                break;
            }
            else
            {
                Error(DrbdCodes.ExpectedSemicolon, a[i], $"expected 'address', 'port' or ';' after '{new DrbdStatement(s.Keyword, [.. a.Take(i)], null).Show()}', found {a[i].Display}",
                    "write 'host NAME address IP:PORT;'");
                if (context.Contains(word))
                {
                    _split = new DrbdStatement(a[i], [.. a.Skip(i + 1)], null);
                }
                break;
            }
        }
    }

    private void Mesh(DrbdStatement s, ResourceDraft draft)
    {
        if (Section(s, s_resourceKeywords) is not { } body)
        {
            return;
        }
        Walk(body, m =>
        {
            switch (m.Name)
            {
                case "hosts":
                    if (NoBody(m) && m.Arguments.Count < 2)
                    {
                        Error(DrbdCodes.BadShape, m.Keyword, "'hosts' needs at least two host names", "write 'hosts alpha bravo;'");
                    }
                    else if (m.Body is null)
                    {
                        draft.MeshHosts.AddRange(m.Arguments);
                    }
                    break;
                case "net":
                    OptionSection(m, draft.Settings, ["hosts", "net"]);
                    break;
                default:
                    Unknown(m, "in 'connection-mesh'", ["hosts", "net"]);
                    break;
            }
        });
    }

    // Invalid marks a statement that was written but had a bad value (already reported), so that
    // it is not reported a second time as missing.
    private sealed record Field(string Value, DrbdToken At, bool Invalid = false);

    private sealed class VolumeDraft(DrbdToken at)
    {
        public DrbdToken At { get; } = at;
        public Field? Device { get; set; }
        public Field? Disk { get; set; }
        public Field? MetaDisk { get; set; }
        public DrbdSettings? DiskSettings { get; set; }
    }

    private sealed class HostDraft(string name, DrbdToken at)
    {
        public string Name { get; } = name;
        public DrbdToken At { get; } = at;
        public Field? Address { get; set; }
        public int? NodeId { get; set; }
        public VolumeDraft Defaults { get; } = new(at);
        public DrbdSettings? DiskSettings { get; set; }
        public SortedDictionary<int, VolumeDraft> Volumes { get; } = [];
        public Field? EffectiveAddress { get; set; }
    }

    private sealed class ConnectionHostDraft(string name, DrbdToken at)
    {
        public string Name { get; } = name;
        public DrbdToken At { get; } = at;
        public Field? Address { get; set; }
        public int? Port { get; set; }
    }

    private sealed class ResourceDraft(string name, DrbdToken at)
    {
        public string Name { get; } = name;
        public DrbdToken At { get; } = at;
        public DrbdSettings Settings { get; } = new();
        public VolumeDraft Defaults { get; } = new(at);
        public SortedDictionary<int, VolumeDraft> Volumes { get; } = [];
        public List<HostDraft> Hosts { get; } = [];
        public List<ConnectionHostDraft> ConnectionHosts { get; } = [];
        public List<DrbdToken> MeshHosts { get; } = [];
        public List<HostDraft> Built { get; set; } = [];
    }
}
