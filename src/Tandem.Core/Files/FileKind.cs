namespace Tandem.Core.Files;

/// <summary>What a path names, from the file type bits of its mode.</summary>
public enum FileKind
{
    /// <summary>A type this code does not know.</summary>
    Unknown,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A FIFO (named pipe): reading it waits for a writer.</summary>
    Fifo,

    /// <summary>A character device such as /dev/zero: reading it may never end.</summary>
    CharacterDevice,

    /// <summary>A block device.</summary>
    BlockDevice,

    /// <summary>A Unix socket.</summary>
    Socket,

    /// <summary>A symbolic link (only seen when links are not followed).</summary>
    SymbolicLink,
}
