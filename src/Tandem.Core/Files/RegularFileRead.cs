namespace Tandem.Core.Files;

/// <summary>The result of reading a small file with <see cref="RegularFile.Read"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Bytes">The content when <see cref="Status"/> is <see cref="RegularFileStatus.Read"/>, else empty.</param>
/// <param name="Problem">
/// A sentence for an operator naming the file and saying what is wrong with it ("'x' is a FIFO (named
/// pipe), not a regular file"); empty when the file was read.
/// </param>
public sealed record RegularFileRead(RegularFileStatus Status, byte[] Bytes, string Problem)
{
    /// <summary>Whether the file was read.</summary>
    public bool Succeeded => Status == RegularFileStatus.Read;
}
