using System.Globalization;
using Tandem.Core.Model;

namespace Tandem.Config.Classic.Drbd;

/// <summary>
/// Gives meaning to parsed drbd.conf statements: checks every keyword and value against
/// <see cref="DrbdOptionTable"/>, applies inheritance (<c>common</c> into resources, resource-level
/// device/disk/meta-disk into hosts and volumes), and checks each resource as a whole.
/// </summary>
public sealed partial class DrbdModelBuilder
{
    private static readonly string[] s_topKeywords = ["global", "common", "resource"];
    private static readonly string[] s_commonKeywords = ["net", "disk", "startup", "handlers", "options", "syncer", "protocol"];
    private static readonly string[] s_resourceKeywords =
    [
        "protocol", "device", "disk", "meta-disk", "flexible-meta-disk", "volume", "on", "floating", "stacked-on-top-of",
        "connection", "connection-mesh", "net", "startup", "handlers", "options", "syncer", "incon-degr-cmd",
    ];
    private static readonly string[] s_hostKeywords = ["address", "device", "disk", "meta-disk", "flexible-meta-disk", "node-id", "volume"];
    private static readonly string[] s_volumeKeywords = ["device", "disk", "meta-disk", "flexible-meta-disk"];
    private static readonly string[] s_connectionKeywords = ["host", "path", "net", "disk", "volume"];
    private static readonly string[] s_families = ["ipv4", "ipv6", "ssocks", "sdp"];

    private static readonly Dictionary<string, string> s_globalReasons = new(StringComparer.Ordinal)
    {
        ["usage-count"] = "Tandem never reports usage to anyone",
        ["minor-count"] = "Tandem uses no kernel minors",
        ["dialog-refresh"] = "Tandem has no start-up dialog",
        ["disable-ip-verification"] = "Tandem does not check addresses through drbdadm",
        ["udev-always-use-vnr"] = "Tandem creates no udev links",
    };

    private readonly DiagnosticBag _diagnostics;
    private readonly DrbdSettings _common = new();
    private readonly Dictionary<string, DrbdToken> _resourceNames = new(StringComparer.Ordinal);
    private readonly List<ResourceDraft> _drafts = [];
    private DrbdStatement? _split;

    /// <summary>Creates a builder that reports into <paramref name="diagnostics"/>.</summary>
    /// <param name="diagnostics">Receives every finding.</param>
    public DrbdModelBuilder(DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        _diagnostics = diagnostics;
    }

    /// <summary>Whether to report resources that lack hosts or statements (off when the file was cut short by a syntax error).</summary>
    /// <value>True.</value>
    public bool CheckCompleteness { get; init; } = true;

    /// <summary>Builds the resources of a whole parsed configuration.</summary>
    /// <param name="statements">The top-level statements, includes already spliced in.</param>
    /// <returns>The resources that could be built (all of them when there are no errors).</returns>
    public IReadOnlyList<ReplicatedResourceSpec> Build(IReadOnlyList<DrbdStatement> statements)
    {
        ArgumentNullException.ThrowIfNull(statements);
        Walk(statements, TopLevel);
        var resources = new List<ReplicatedResourceSpec>();
        var built = new List<(ResourceDraft Draft, ReplicatedResourceSpec Spec)>();
        foreach (var draft in _drafts)
        {
            if (Finish(draft) is { } spec)
            {
                resources.Add(spec);
                built.Add((draft, spec));
            }
        }
        CheckAcrossResources(built);
        return resources;
    }

    // Walks a body in order; when a statement turned out to be two (a missing ';'), the second
    // part is handled right after the first.
    private void Walk(IReadOnlyList<DrbdStatement> body, Action<DrbdStatement> handle)
    {
        foreach (var statement in body)
        {
            var current = statement;
            for (var guard = 0; guard < 1000; guard++)
            {
                _split = null;
                handle(current);
                if (_split is null)
                {
                    break;
                }
                current = _split;
            }
        }
    }

    private void TopLevel(DrbdStatement s)
    {
        switch (s.Name)
        {
            case "global":
                if (Section(s, s_topKeywords) is { } globalBody)
                {
                    Walk(globalBody, o => Option("global", o, _common));
                }
                break;
            case "common":
                if (Section(s, s_topKeywords) is { } commonBody)
                {
                    Walk(commonBody, c => CommonStatement(c));
                }
                break;
            case "resource":
                Resource(s);
                break;
            default:
                Unknown(s, "at the top level", s_topKeywords);
                break;
        }
    }

    private void CommonStatement(DrbdStatement s)
    {
        switch (s.Name)
        {
            case "protocol":
                Option("net", s, _common);
                break;
            case "net" or "disk" or "startup" or "handlers" or "options" or "syncer":
                OptionSection(s, _common, s_commonKeywords);
                break;
            default:
                Unknown(s, "in 'common'", s_commonKeywords);
                break;
        }
    }

    // A named option section (net, disk, ...): each statement inside is one option.
    private void OptionSection(DrbdStatement s, DrbdSettings into, IReadOnlyCollection<string> context)
    {
        if (Section(s, context) is not { } body)
        {
            return;
        }
        if (s.Name == "syncer")
        {
            Info(DrbdCodes.SyncerSection, s.Keyword,
                "the 'syncer' section is DRBD 0.7–8.3 syntax that 8.4 dropped: 'rate' is read as 'disk { resync-rate }', 'al-extents' as 'disk { al-extents }', 'verify-alg' and 'csums-alg' as 'net { ... }'");
        }
        if (s.Name == "handlers")
        {
            Walk(body, h => Handler(h, into));
        }
        else
        {
            Walk(body, o => Option(s.Name, o, into));
        }
    }

    private void Handler(DrbdStatement s, DrbdSettings into)
    {
        var name = s.Name;
        if (name == "outdate-peer")
        {
            Info(DrbdCodes.LegacyKeyword, s.Keyword, "'outdate-peer' is the DRBD 8.0–8.2 name of the 'fence-peer' handler; read as 'fence-peer'");
            name = "fence-peer";
        }
        else if (!DrbdOptionTable.Handlers.Contains(name))
        {
            if (DrbdOptionTable.SectionsOf(name, "handlers").Count > 0 || s.Body is not null)
            {
                Misplaced(s, "handlers");
                return;
            }
            Error(DrbdCodes.UnknownKeyword, s.Keyword, $"unknown handler '{Shorten(name)}'",
                Suggest(name, DrbdOptionTable.Handlers) ?? $"the handlers are: {string.Join(", ", DrbdOptionTable.Handlers)}");
            return;
        }
        if (NoBody(s) && Args(s, 1, 1, DrbdOptionTable.Handlers, "a command") is { } args)
        {
            Remember(into, "handlers", name, args[0].Text, s.Keyword);
        }
    }

    private void Option(string section, DrbdStatement s, DrbdSettings into)
    {
        var option = DrbdOptionTable.Find(section, s.Name);
        if (option is null)
        {
            var known = DrbdOptionTable.Sections[section].Keys;
            if (DrbdOptionTable.SectionsOf(s.Name, section).Count > 0 || IsStructural(s.Name))
            {
                Misplaced(s, section);
                return;
            }
            Unknown(s, $"in '{section}'", known);
            return;
        }
        if (!NoBody(s))
        {
            return;
        }
        var max = option.Kind switch
        {
            DrbdOptionKind.Flag => 1,
            DrbdOptionKind.Negation => 0,
            _ => 1,
        };
        var min = option.Kind is DrbdOptionKind.Flag or DrbdOptionKind.Negation ? 0 : 1;
        if (Args(s, min, max, DrbdOptionTable.Sections[section].Keys, Describe(option)) is not { } args)
        {
            return;
        }
        if (Value(option, s, args) is not { } value)
        {
            return;
        }
        if (option.Legacy is { } legacy)
        {
            Info(DrbdCodes.LegacyKeyword, s.Keyword, legacy);
        }
        if (option.NotActedOn)
        {
            var reason = s_globalReasons.TryGetValue(option.Name, out var r) ? r : "it has no meaning without the DRBD kernel module";
            Info(DrbdCodes.NotActedOn, s.Keyword, $"'{option.Name}' in '{section}' is accepted but not acted on: {reason}");
        }
        var targetSection = option.TargetSection ?? section;
        var targetName = option.TargetName ?? option.Name;
        Remember(into, targetSection, targetName, value, s.Keyword);
    }

    private void Remember(DrbdSettings into, string section, string name, string value, DrbdToken at)
    {
        if (into.Set(section, name, value, at) is { } earlier)
        {
            _diagnostics.Warning(DrbdCodes.DuplicateOption, at.File, at.Line, at.Column,
                $"'{name}' is set again (first at {earlier.File}:{earlier.Line}:{earlier.Column}); this later value wins",
                "remove one of them");
        }
    }

    private static string Describe(DrbdOption option) => option.Kind switch
    {
        DrbdOptionKind.Enum => "one of " + string.Join(", ", option.Values),
        DrbdOptionKind.Number => option.UnitName is null ? "a number" : $"a number (in {option.UnitName})",
        DrbdOptionKind.Size => "a size (a number with an optional K, M or G suffix)",
        DrbdOptionKind.Quorum => "off, majority, all or a number",
        _ => "a value",
    };

    // Checks and normalizes an option's value; null (after an error) when it is not valid.
    private string? Value(DrbdOption option, DrbdStatement s, IReadOnlyList<DrbdToken> args)
    {
        switch (option.Kind)
        {
            case DrbdOptionKind.Negation:
                return "no";
            case DrbdOptionKind.Flag:
                if (args.Count == 0)
                {
                    return "yes";
                }
                if (args[0].Text is "yes" or "no")
                {
                    return args[0].Text;
                }
                BadEnum(s, args[0], ["yes", "no"]);
                return null;
            case DrbdOptionKind.Enum:
            {
                var v = args[0].Text;
                if (option.Name == "protocol")
                {
                    // drbdadm takes the protocol letter in either case.
                    v = v.ToUpperInvariant();
                }
                if (option.Values.Contains(v, StringComparer.Ordinal))
                {
                    if (option.Name == "on-io-error" && v == "panic")
                    {
                        Error(DrbdCodes.BadEnumValue, args[0], "'on-io-error panic' is DRBD 0.7 syntax that 8.0 replaced",
                            "write 'on-io-error call-local-io-error;' with a 'local-io-error' handler that halts the node, or use 'detach'");
                        return null;
                    }
                    return v;
                }
                if (option.Name == "after-sb-0pri" && v.StartsWith("discard-node-", StringComparison.Ordinal) && v.Length > "discard-node-".Length)
                {
                    return v;
                }
                BadEnum(s, args[0], [.. option.Values.Where(x => x != "panic")]);
                return null;
            }
            case DrbdOptionKind.Number:
                return Number(s, args[0], option.Min, option.Max, option.UnitName) is { } n ? n.ToString(CultureInfo.InvariantCulture) : null;
            case DrbdOptionKind.Size:
            {
                var text = args[0].Text;
                if (!DrbdValues.TryParseSize(text, option.Unit, out var bytes))
                {
                    Error(DrbdCodes.BadNumber, args[0], $"'{s.Name}' needs a size, found '{Shorten(text)}'",
                        $"write a number with an optional K, M or G suffix (K = 1024), e.g. '{s.Name} 30M;'");
                    return null;
                }
                if (bytes < option.Min || bytes > option.Max)
                {
                    Error(DrbdCodes.BadNumber, args[0], $"'{s.Name} {text}' is out of range ({FormatBytes(option.Min)} to {FormatBytes(option.Max)})",
                        option.Unit == 1024 ? "a bare number counts KiB; add a K, M or G suffix to be explicit" : "choose a value inside the range");
                    return null;
                }
                return text;
            }
            case DrbdOptionKind.Quorum:
            {
                var v = args[0].Text;
                if (v is "off" or "majority" or "all")
                {
                    return v;
                }
                if (DrbdValues.TryParseNumber(v, out var count) && count is >= 1 and <= 32)
                {
                    return v;
                }
                Error(DrbdCodes.BadEnumValue, args[0], $"'{s.Name}' must be off, majority, all or a number of nodes (1..32), found '{Shorten(v)}'",
                    "for two nodes with a tiebreaker use 'majority'");
                return null;
            }
            default:
                return args[0].Text;
        }
    }

    private long? Number(DrbdStatement s, DrbdToken arg, long min, long max, string? unit)
    {
        if (!DrbdValues.TryParseNumber(arg.Text, out var n))
        {
            var hint = DrbdValues.TryParseSize(arg.Text, 1, out _)
                ? $"'{s.Name}' takes a plain number{(unit is null ? "" : $" in {unit}")}, without a K/M/G suffix"
                : $"write a whole number{(unit is null ? "" : $" in {unit}")}";
            Error(DrbdCodes.BadNumber, arg, $"'{s.Name}' needs a number, found '{Shorten(arg.Text)}'", hint);
            return null;
        }
        if (n < min || n > max)
        {
            Error(DrbdCodes.BadNumber, arg, $"'{s.Name} {arg.Text}' is out of range ({min}..{max}{(unit is null ? "" : " " + unit)})",
                unit is "0.1 s" ? $"the unit is tenths of a second: {s.Name} 60 means 6 seconds" : "choose a value inside the range");
            return null;
        }
        return n;
    }

    private void BadEnum(DrbdStatement s, DrbdToken arg, IReadOnlyList<string> allowed)
    {
        Error(DrbdCodes.BadEnumValue, arg, $"'{s.Name}' must be one of {string.Join(", ", allowed)}; found '{Shorten(arg.Text)}'",
            Suggest(arg.Text, allowed) ?? $"choose one of {string.Join(", ", allowed)}");
    }

    private static string FormatBytes(long bytes) =>
        bytes >= 1L << 40 && bytes % (1L << 40) == 0 ? $"{bytes >> 40}T"
        : bytes >= 1L << 30 && bytes % (1L << 30) == 0 ? $"{bytes >> 30}G"
        : bytes >= 1L << 20 && bytes % (1L << 20) == 0 ? $"{bytes >> 20}M"
        : bytes >= 1L << 10 && bytes % (1L << 10) == 0 ? $"{bytes >> 10}K"
        : $"{bytes} bytes";

    // Requires a section body; returns it, or null after an error.
    private IReadOnlyList<DrbdStatement>? Section(DrbdStatement s, IReadOnlyCollection<string> context, int maxArgs = 0, string? argWhat = null)
    {
        if (s.Arguments.Count > maxArgs)
        {
            var extra = s.Arguments[maxArgs];
            Error(DrbdCodes.BadShape, extra, $"expected '{{' after '{s.Show(maxArgs)}', found {extra.Display}",
                argWhat is null ? $"'{s.Name}' takes no value: write '{s.Name} {{ ... }}'" : $"'{s.Name}' takes {argWhat}, then '{{ ... }}'");
            return null;
        }
        if (s.Body is null)
        {
            Error(DrbdCodes.BadShape, s.Keyword, $"expected '{{' after '{s.Show()}': '{s.Name}' is a section",
                $"write '{s.Show()} {{ ... }}'");
            return null;
        }
        _ = context;
        return s.Body;
    }

    private bool NoBody(DrbdStatement s)
    {
        if (s.Body is null)
        {
            return true;
        }
        Error(DrbdCodes.BadShape, s.Keyword, $"'{s.Name}' takes a value, not a section",
            $"write '{s.Name} VALUE;'");
        return false;
    }

    // Checks the number of values; extra values mean a missing ';' (and, when the first extra
    // word is a keyword of this place, the rest is handled as its own statement).
    private IReadOnlyList<DrbdToken>? Args(DrbdStatement s, int min, int max, IEnumerable<string> context, string what)
    {
        if (s.Arguments.Count > max)
        {
            var extra = s.Arguments[max];
            Error(DrbdCodes.ExpectedSemicolon, extra, $"expected ';' after '{s.Show(max)}', found {extra.Display}",
                max == 0 ? $"'{s.Name}' takes no value; end it with ';'" : "end every statement with ';'");
            if (extra.Kind == DrbdTokenKind.Word && context.Contains(extra.Text, StringComparer.Ordinal))
            {
                _split = new DrbdStatement(extra, [.. s.Arguments.Skip(max + 1)], s.Body);
            }
            return max >= min ? [.. s.Arguments.Take(max)] : null;
        }
        if (s.Arguments.Count < min)
        {
            Error(DrbdCodes.BadShape, s.Keyword, $"'{s.Name}' needs {what}",
                $"write '{s.Name} {Example(what)};'");
            return null;
        }
        return s.Arguments;
    }

    private static string Example(string what) => what.StartsWith("one of ", StringComparison.Ordinal) ? what[7..].Split(',')[0] : "VALUE";

    private static bool IsStructural(string name) =>
        s_resourceKeywords.Contains(name) || s_hostKeywords.Contains(name) || s_topKeywords.Contains(name)
        || name is "handlers" or "host" or "path" or "connection";

    private void Misplaced(DrbdStatement s, string section)
    {
        var sections = DrbdOptionTable.SectionsOf(s.Name, section);
        string where;
        if (sections.Count > 0)
        {
            where = $"it belongs in the '{string.Join("' or '", sections)}' section";
            if (s.Name == "rate")
            {
                where = "it belongs in 'syncer' (8.3) or, as 'resync-rate', in 'disk' (8.4)";
            }
        }
        else if (s.Name == "protocol")
        {
            where = "it belongs in 'resource' (8.3 style) or in 'net' (8.4 style)";
        }
        else if (DrbdOptionTable.Handlers.Contains(s.Name))
        {
            where = "it belongs in the 'handlers' section";
        }
        else if (s_resourceKeywords.Contains(s.Name) || s_hostKeywords.Contains(s.Name))
        {
            where = "it belongs in a 'resource' or 'on HOST' section";
        }
        else
        {
            where = "it does not belong here";
        }
        var place = section == "the top level" ? "at the top level" : $"in '{section}'";
        Error(DrbdCodes.MisplacedKeyword, s.Keyword, $"'{s.Name}' is not allowed {place}", $"{where}; move it there");
    }

    private void Unknown(DrbdStatement s, string where, IEnumerable<string> known)
    {
        var name = s.Name;
        if (name == "resource" || s_topKeywords.Contains(name) || s_resourceKeywords.Contains(name) || s_hostKeywords.Contains(name)
            || DrbdOptionTable.Sections.Values.Any(t => t.ContainsKey(name)) || DrbdOptionTable.Handlers.Contains(name))
        {
            var section = where.StartsWith("in '", StringComparison.Ordinal) ? where[4..^1] : "the top level";
            Misplaced(s, section);
            return;
        }
        var list = known.ToList();
        Error(DrbdCodes.UnknownKeyword, s.Keyword, $"unknown keyword '{Shorten(name)}' {where}",
            Suggest(name, list) ?? (list.Count <= 12
                ? $"expected one of: {string.Join(", ", list)}"
                : $"docs/configuration-classic-drbd.md lists the keywords allowed here (e.g. {string.Join(", ", list.Take(6))})"));
    }

    /// <summary>A "did you mean" for a misspelt word, or null when nothing is close.</summary>
    /// <param name="word">What was written.</param>
    /// <param name="candidates">The words allowed there.</param>
    /// <returns>The hint, or null.</returns>
    public static string? Suggest(string word, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(candidates);
        if (word.Length is < 3 or > 64)
        {
            return null;
        }
        var budget = Math.Clamp(word.Length / 3, 1, 3);
        var best = candidates
            .Select(c => (c, d: Distance(word, c)))
            .Where(x => x.d <= budget)
            .OrderBy(x => x.d)
            .ThenBy(x => x.c, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.c is null ? null : $"did you mean '{best.c}'?";
    }

    private static int Distance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 3)
        {
            return int.MaxValue;
        }
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    private void Error(string code, DrbdToken at, string message, string? hint) =>
        _diagnostics.Error(code, at.File, at.Line, at.Column, message, hint);

    private void Info(string code, DrbdToken at, string message) =>
        _diagnostics.Info(code, at.File, at.Line, at.Column, message);
}
