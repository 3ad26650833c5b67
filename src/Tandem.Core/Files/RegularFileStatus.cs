namespace Tandem.Core.Files;

/// <summary>The outcome of <see cref="RegularFile.Read"/>.</summary>
public enum RegularFileStatus
{
    /// <summary>The file was read whole.</summary>
    Read,

    /// <summary>Nothing exists at the path.</summary>
    Missing,

    /// <summary>The path is a directory.</summary>
    Directory,

    /// <summary>The path is a FIFO, device, socket or other non-regular file: refused without reading.</summary>
    NotRegular,

    /// <summary>The file is larger than the limit: refused.</summary>
    TooLarge,

    /// <summary>Permission to open or read it was refused.</summary>
    Denied,

    /// <summary>Another I/O error.</summary>
    Failed,
}
