using System.Globalization;
using System.Text;

namespace Tandem.Membership;

/// <summary>
/// The generation number: persisted in the state directory (file <c>generation</c>), increased and
/// fsync'd at every start, so a restarted node's packets are told from a replay of its earlier
/// run (Heartbeat's <c>hb_generation</c>).
/// </summary>
public static class GenerationStore
{
    /// <summary>The file name in the state directory.</summary>
    public const string FileName = "generation";

    /// <summary>Reads the stored generation, stores the next one durably and returns it.</summary>
    /// <param name="stateDirectory">The node's state directory (created when missing).</param>
    /// <returns>The new generation, at least 1.</returns>
    /// <remarks>
    /// An unreadable file is replaced by the current Unix time in milliseconds: larger than any
    /// counter a node reaches by restarts, so the generation still never goes backwards.
    /// </remarks>
    public static ulong Advance(string stateDirectory)
    {
        Directory.CreateDirectory(stateDirectory);
        var path = Path.Combine(stateDirectory, FileName);
        ulong previous = 0;
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out previous))
            {
                previous = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            }
        }
        var next = previous + 1;
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(Encoding.ASCII.GetBytes(next.ToString("D20", CultureInfo.InvariantCulture) + "\n"));
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        return next;
    }
}
