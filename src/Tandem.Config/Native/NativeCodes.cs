namespace Tandem.Config.Native;

/// <summary>
/// The stable diagnostic codes of the native reader. Scripts and the documentation
/// (docs/configuration-native.md) rely on them: never renumber, only add.
/// </summary>
public static class NativeCodes
{
    /// <summary>The text is not valid TOML (Tomlyn's own finding, or input it could not handle).</summary>
    public const string Syntax = "TOML001";

    /// <summary>The file cannot be read: missing, unreadable, too large, or not UTF-8.</summary>
    public const string Unreadable = "TOML002";

    /// <summary>A key or table the schema does not know (with a did-you-mean suggestion).</summary>
    public const string UnknownKey = "TOML003";

    /// <summary>A value of the wrong TOML type.</summary>
    public const string WrongType = "TOML004";

    /// <summary>A required key is missing.</summary>
    public const string MissingKey = "TOML005";

    /// <summary>A value of the right type that is not allowed (unknown name, out of range, bad address).</summary>
    public const string BadValue = "TOML006";

    /// <summary>A duration that is not a string such as <c>"100ms"</c> or <c>"2s"</c>.</summary>
    public const string BadDuration = "TOML007";

    /// <summary>A name that must be unique is used twice (node, link, group, resource, key index, ...).</summary>
    public const string Duplicate = "TOML008";

    /// <summary>A reference to a node that is not declared with <c>[[node]]</c>.</summary>
    public const string UnknownNode = "TOML009";

    /// <summary>Timing that breaks Heartbeat's rules (deadtime, initdead, deadping against keepalive).</summary>
    public const string Timing = "TOML010";

    /// <summary>Timing that works but is probably not meant (a warning).</summary>
    public const string TimingWarning = "TOML011";

    /// <summary>An authentication key problem: index out of range, no active key, missing or extra secret.</summary>
    public const string Auth = "TOML012";

    /// <summary>The unkeyed <c>crc</c> method without <see cref="ConfigOptions.AllowInsecureAuth"/>.</summary>
    public const string InsecureAuth = "TOML013";

    /// <summary>A file holding secrets is readable by group or others.</summary>
    public const string KeyFileMode = "TOML014";

    /// <summary>A <c>secret_file</c> that cannot be read or is empty.</summary>
    public const string SecretFile = "TOML015";

    /// <summary>A required part is absent: no node, no link between several nodes, an empty group or host.</summary>
    public const string Incomplete = "TOML016";

    /// <summary>Contradictory settings (fencing disabled but devices configured, secret and secret_file both set).</summary>
    public const string Conflict = "TOML017";

    /// <summary>
    /// An <c>nbd_listen</c> without <c>nbd_tls_certificate</c> and without the explicit
    /// <c>nbd_insecure = true</c> (plain NBD has no authentication), or TLS keys that contradict.
    /// </summary>
    public const string InsecureNbd = "TOML018";
}
