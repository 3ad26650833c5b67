namespace Tandem.Config.Classic.Drbd;

/// <summary>
/// The stable diagnostic codes of the drbd.conf reader (docs/configuration-classic-drbd.md lists
/// them). Codes are never renumbered: scripts and the documentation refer to them.
/// </summary>
public static class DrbdCodes
{
    /// <summary>A control character, NUL or invalid UTF-8 in the text.</summary>
    public const string BadCharacter = "DRBD001";
    /// <summary>A quoted string not closed on its line.</summary>
    public const string UnterminatedString = "DRBD002";
    /// <summary>A word or string longer than the tokenizer accepts.</summary>
    public const string TokenTooLong = "DRBD003";
    /// <summary>A statement not ended by <c>;</c>, or with more values than its keyword takes.</summary>
    public const string ExpectedSemicolon = "DRBD004";
    /// <summary>A <c>{</c> never closed, or a <c>}</c> with nothing to close.</summary>
    public const string UnbalancedBraces = "DRBD005";
    /// <summary>Sections nested deeper than the reader allows.</summary>
    public const string NestingTooDeep = "DRBD006";
    /// <summary>A file that includes itself, directly or through others.</summary>
    public const string IncludeCycle = "DRBD007";
    /// <summary>Includes nested deeper than 16 files.</summary>
    public const string IncludeTooDeep = "DRBD008";
    /// <summary>A file (the top-level one or an included one) that cannot be read.</summary>
    public const string CannotRead = "DRBD009";
    /// <summary>An include that matched no file (a warning for a plain path, a note for a glob).</summary>
    public const string IncludeMatchedNothing = "DRBD010";
    /// <summary>A keyword no DRBD version knows in this place.</summary>
    public const string UnknownKeyword = "DRBD011";
    /// <summary>A known keyword in the wrong section.</summary>
    public const string MisplacedKeyword = "DRBD012";
    /// <summary>A statement with too few values, or a section where a value was expected (or the reverse).</summary>
    public const string BadShape = "DRBD013";
    /// <summary>A value not among the allowed words (protocol, policies, on-io-error, fencing, yes/no ...).</summary>
    public const string BadEnumValue = "DRBD014";
    /// <summary>A number or size that does not parse or is out of range.</summary>
    public const string BadNumber = "DRBD015";
    /// <summary>An address that is not <c>[ipv4|ipv6] IP:PORT</c>.</summary>
    public const string BadAddress = "DRBD016";
    /// <summary>A port outside 1..65535.</summary>
    public const string PortOutOfRange = "DRBD017";
    /// <summary>Two resources with the same name.</summary>
    public const string DuplicateResource = "DRBD018";
    /// <summary>Two hosts (in any resources) listening on the same address and port.</summary>
    public const string DuplicateAddress = "DRBD019";
    /// <summary>A resource without exactly two hosts.</summary>
    public const string HostCount = "DRBD020";
    /// <summary>A host without address, or a volume without device, disk or meta-disk, after inheritance.</summary>
    public const string MissingStatement = "DRBD021";
    /// <summary>A host, volume, device or host statement given twice.</summary>
    public const string Duplicate = "DRBD022";
    /// <summary>An option set twice in one section; the later value wins.</summary>
    public const string DuplicateOption = "DRBD023";
    /// <summary>A DRBD feature Tandem does not implement (floating peers, stacked resources, wildcards in include directories).</summary>
    public const string Unsupported = "DRBD024";
    /// <summary>Options that DRBD itself refuses to combine (for example two primaries without protocol C).</summary>
    public const string Conflict = "DRBD025";
    /// <summary>A device, disk or meta-disk value of the wrong form.</summary>
    public const string BadPath = "DRBD026";
    /// <summary>Note: an option accepted but not acted on (the <c>global</c> section, some address families).</summary>
    public const string NotActedOn = "DRBD030";
    /// <summary>Note: a keyword of an old DRBD version, with what replaced it.</summary>
    public const string LegacyKeyword = "DRBD031";
    /// <summary>Note: a 0.7–8.3 <c>syncer</c> section, read into its 8.4 places.</summary>
    public const string SyncerSection = "DRBD032";
    /// <summary>Warning: an empty statement (<c>;;</c>), which crashes some drbdadm versions.</summary>
    public const string EmptyStatement = "DRBD033";
}
