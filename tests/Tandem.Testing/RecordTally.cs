using System.Security.Cryptography;

namespace Tandem.Testing;

/// <summary>
/// Acknowledged records of a power-loss loop and what became of them: each record is
/// self-describing (slot and run in its first bytes, random data, a SHA-256 of it at the end), and
/// what is read back after the loss is whole, lost (zeros) or corrupt (anything else).
/// </summary>
public sealed class RecordTally
{
    /// <summary>Records checked.</summary>
    public long Acknowledged { get; private set; }

    /// <summary>Records that read back as zeros.</summary>
    public long Lost { get; private set; }

    /// <summary>Records that read back as anything else that is not them.</summary>
    public long Corrupt { get; private set; }

    /// <summary>A new record for <paramref name="slot"/> in run <paramref name="iteration"/>.</summary>
    public static byte[] Record(int slot, int iteration, int size)
    {
        var record = new byte[size];
        RandomNumberGenerator.Fill(record.AsSpan(0, size - 32));
        BitConverter.TryWriteBytes(record.AsSpan(0, 4), slot);
        BitConverter.TryWriteBytes(record.AsSpan(4, 4), iteration);
        SHA256.HashData(record.AsSpan(0, size - 32), record.AsSpan(size - 32));
        return record;
    }

    /// <summary>Counts one acknowledged record against what was read back.</summary>
    public void Check(ReadOnlySpan<byte> readBack, byte[] record)
    {
        Acknowledged++;
        if (readBack.SequenceEqual(record))
        {
            return;
        }
        if (readBack.IndexOfAnyExcept((byte)0) < 0)
        {
            Lost++;
        }
        else
        {
            Corrupt++;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Acknowledged} acknowledged FUA records checked, {Lost} lost, {Corrupt} corrupt";
}
