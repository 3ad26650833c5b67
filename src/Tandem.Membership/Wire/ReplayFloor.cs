using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Tandem.Membership.Wire;

/// <summary>
/// The newest (generation, sequence) accepted from each peer, persisted in the state directory
/// (file <c>replay-floor</c>) so that the replay windows survive a restart of this daemon.
/// </summary>
/// <remarks>
/// Issue #18 item 1: the windows lived in memory only, so after this daemon restarted, every packet
/// a peer had sent before (captured by an attacker) was accepted again: a dead node was reported
/// active for as long as the replay ran. Each new window now starts at the floor recorded here, so
/// a packet at or below it is rejected as replayed.
/// <para>
/// Each accepted packet that raises a peer's floor is written at once into that peer's fixed slot
/// (one pwrite, no fsync: the page cache keeps it across a daemon crash or kill, and an fsync per
/// packet would tie heartbeat processing to disk latency). The file is fsync'd when the service
/// stops. After a power loss of this machine the floor may be a little older than the newest
/// packet seen, so a replay of the packets of those last seconds (at most what the kernel had not
/// written back) is still accepted once each.
/// </para>
/// <para>
/// Layout: one line of <see cref="SlotSize"/> bytes per peer, in the order peers were first seen:
/// <c>NAME GENERATION SEQUENCE</c>, decimal, padded with spaces, ending in a newline.
/// </para>
/// </remarks>
public sealed class ReplayFloor : IDisposable
{
    /// <summary>The file name in the state directory.</summary>
    public const string FileName = "replay-floor";

    /// <summary>The size of one peer's line.</summary>
    public const int SlotSize = 128;

    private const int MaxPeers = 256;

    private readonly Lock _lock = new();
    private readonly SafeFileHandle? _file;
    private readonly Dictionary<string, (int Slot, ulong Generation, ulong Sequence)> _floors = new(StringComparer.Ordinal);

    private ReplayFloor(SafeFileHandle? file) => _file = file;

    /// <summary>A floor that persists nothing (every window starts empty, as before).</summary>
    public static ReplayFloor InMemory() => new(null);

    /// <summary>Opens (or creates) the floor file of a state directory and reads it.</summary>
    /// <param name="stateDirectory">The node's state directory.</param>
    /// <returns>The floor.</returns>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static ReplayFloor Open(string stateDirectory)
    {
        Directory.CreateDirectory(stateDirectory);
        var path = Path.Combine(stateDirectory, FileName);
        var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var floor = new ReplayFloor(file);
        try
        {
            floor.Load();
        }
        catch
        {
            file.Dispose();
            throw;
        }
        return floor;
    }

    /// <summary>A replay window for a peer that starts at its recorded floor.</summary>
    /// <param name="sender">The peer.</param>
    /// <returns>The window.</returns>
    public ReplayWindow CreateWindow(string sender)
    {
        lock (_lock)
        {
            return _floors.TryGetValue(sender, out var f) ? new ReplayWindow(f.Generation, f.Sequence) : new ReplayWindow();
        }
    }

    /// <summary>The recorded floor of a peer, or (0, 0).</summary>
    /// <param name="sender">The peer.</param>
    /// <returns>Its generation and sequence.</returns>
    public (ulong Generation, ulong Sequence) Get(string sender)
    {
        lock (_lock)
        {
            return _floors.TryGetValue(sender, out var f) ? (f.Generation, f.Sequence) : (0, 0);
        }
    }

    /// <summary>Records an accepted packet; persists it when it raises the peer's floor.</summary>
    /// <param name="sender">The peer.</param>
    /// <param name="generation">The packet's generation.</param>
    /// <param name="sequence">The packet's sequence.</param>
    public void Record(string sender, ulong generation, ulong sequence)
    {
        lock (_lock)
        {
            if (_floors.TryGetValue(sender, out var f))
            {
                if (generation < f.Generation || (generation == f.Generation && sequence <= f.Sequence))
                {
                    return;
                }
                _floors[sender] = (f.Slot, generation, sequence);
                Write(f.Slot, sender, generation, sequence);
                return;
            }
            if (_floors.Count >= MaxPeers)
            {
                return;
            }
            var slot = _floors.Count;
            _floors[sender] = (slot, generation, sequence);
            Write(slot, sender, generation, sequence);
        }
    }

    /// <summary>Flushes the file to disk and closes it.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_file is { IsClosed: false })
            {
                try
                {
                    RandomAccess.FlushToDisk(_file);
                }
                catch (IOException)
                {
                    // Closing still keeps what the page cache has.
                }
                _file.Dispose();
            }
        }
    }

    private void Write(int slot, string sender, ulong generation, ulong sequence)
    {
        if (_file is null)
        {
            return;
        }
        var line = string.Create(CultureInfo.InvariantCulture, $"{sender} {generation} {sequence}");
        var bytes = new byte[SlotSize];
        bytes.AsSpan().Fill((byte)' ');
        var n = Encoding.UTF8.GetBytes(line, bytes);
        if (n >= SlotSize)
        {
            return; // names are at most 64 bytes: cannot happen, and a short line would corrupt the next slot
        }
        bytes[SlotSize - 1] = (byte)'\n';
        try
        {
            RandomAccess.Write(_file, bytes, (long)slot * SlotSize);
        }
        catch (IOException)
        {
            // A full or failing state disk must not stop heartbeats; the floor in memory still holds.
        }
    }

    private void Load()
    {
        var length = RandomAccess.GetLength(_file!);
        var slots = (int)Math.Min(length / SlotSize, MaxPeers);
        var buffer = new byte[SlotSize];
        for (var slot = 0; slot < slots; slot++)
        {
            RandomAccess.Read(_file!, buffer, (long)slot * SlotSize);
            var parts = Encoding.UTF8.GetString(buffer).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 3
                && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
                && ulong.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
                && !_floors.ContainsKey(parts[0]))
            {
                _floors[parts[0]] = (_floors.Count, generation, sequence);
            }
        }
        // Rewrite compactly so that slot numbers match the dictionary (a torn or foreign line is
        // dropped), in place: a crash during the rewrite leaves every floor in some slot.
        foreach (var (name, f) in _floors)
        {
            Write(f.Slot, name, f.Generation, f.Sequence);
        }
        RandomAccess.SetLength(_file!, (long)_floors.Count * SlotSize);
    }
}
