using System.Diagnostics;

namespace Tandem.Replication;

/// <summary>
/// Runs a DRBD-style handler command (<c>fence-peer</c>, <c>local-io-error</c>) with
/// <c>/bin/sh -c</c> and the DRBD environment (DRBD_RESOURCE, DRBD_PEER, DRBD_PEERS,
/// DRBD_PEER_ADDRESS, DRBD_PEER_AF), so that existing scripts keep working.
/// </summary>
internal static class HandlerRunner
{
    /// <summary>Runs the command and returns its exit code; null when it could not start or ran past the timeout (it is killed).</summary>
    public static async Task<int?> RunAsync(string command, ReplicatedVolumeOptions options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        info.Environment["DRBD_RESOURCE"] = options.Resource;
        info.Environment["DRBD_PEER"] = options.PeerName ?? options.Peer.Address.ToString();
        info.Environment["DRBD_PEERS"] = options.PeerName ?? options.Peer.Address.ToString();
        info.Environment["DRBD_PEER_ADDRESS"] = options.Peer.Address.ToString();
        info.Environment["DRBD_PEER_AF"] = options.Peer.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";
        info.Environment["TANDEM_NODE"] = options.NodeName;
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
        using (process)
        {
            process.StandardInput.Close();
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
                return process.ExitCode;
            }
            catch (OperationCanceledException)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Exited meanwhile.
                }
                cancellationToken.ThrowIfCancellationRequested();
                return null;
            }
        }
    }
}
