using System.Globalization;
using Tandem.Core.Files;

namespace Tandem.Daemon.Control;

/// <summary>
/// Says why the control socket may not be used and who may (issue #18 item 8): a client refused by
/// the socket's mode, or by a run directory it may not enter, was told "no daemon is running",
/// because a socket it cannot see looks like no socket at all.
/// </summary>
internal static class ControlSocketAccess
{
    /// <summary>The operator's message for an EACCES on connect.</summary>
    /// <param name="socketPath">The control socket.</param>
    /// <param name="runDirectory">The run directory holding it.</param>
    /// <returns>What was refused, who the caller is and who may use the socket.</returns>
    public static string PermissionRefused(string socketPath, string runDirectory)
    {
        var me = Describe(PeerCredentials.CurrentUid);
        // The socket's owner is the daemon's user; when the run directory hides the socket, the
        // directory's owner is (the daemon creates both).
        string where;
        string? owner = null;
        if (FileFacts.TryGet(socketPath, out var socket) == 0)
        {
            where = $"the control socket {socketPath}";
            owner = Describe(socket.Uid);
        }
        else
        {
            where = $"the run directory {runDirectory} (it holds the control socket)";
            if (FileFacts.TryGet(runDirectory, out var directory) == 0)
            {
                owner = Describe(directory.Uid);
            }
        }
        var who = owner is null || owner == "root" ? "root" : $"root and {owner}, the daemon's user,";
        var how = owner is null || owner == "root" ? "run the command as root (sudo tandem ...)" : $"run the command as root (sudo) or as {owner}";
        return $"permission to use {where} was refused: you are {me}; only {who} may use the daemon's control socket: {how}";
    }

    /// <summary>A user as "name (uid N)", or "uid N" when /etc/passwd does not name it.</summary>
    private static string Describe(uint uid)
    {
        var id = uid.ToString(CultureInfo.InvariantCulture);
        try
        {
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[2] == id)
                {
                    return uid == 0 ? "root" : $"{fields[0]} (uid {id})";
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No names: the number still says who.
        }
        return uid == 0 ? "root" : $"uid {id}";
    }
}
