using System.Diagnostics;
using System.Globalization;

namespace Tandem.Resources.Tests.Support;

/// <summary>
/// Debian's aiosmtpd on 127.0.0.1 with an ephemeral port; prints each message's subject and body as
/// one line, which the test awaits.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private const string Python = "/usr/bin/python3";
    private const string Script = """
        import asyncio, sys
        from aiosmtpd.smtp import SMTP
        from email import message_from_bytes
        class H:
            async def handle_DATA(self, server, session, envelope):
                m = message_from_bytes(envelope.content)
                body = m.get_payload(decode=True).decode().replace("\r", "").replace("\n", " | ")
                print("MAIL", ",".join(envelope.rcpt_tos), "#", m["Subject"], "#", body, flush=True)
                return "250 OK"
        async def main():
            loop = asyncio.get_running_loop()
            srv = await loop.create_server(lambda: SMTP(H()), "127.0.0.1", 0)
            print("PORT", srv.sockets[0].getsockname()[1], flush=True)
            await asyncio.Event().wait()
        asyncio.run(main())
        """;

    private readonly Process _process;
    private readonly System.Threading.Channels.Channel<string> _mails = System.Threading.Channels.Channel.CreateUnbounded<string>();

    private SmtpSink(Process process, int port)
    {
        _process = process;
        Port = port;
        _ = PumpAsync();
    }

    public int Port { get; }

    public static bool Available =>
        File.Exists(Python) && Sh.Run(Python, "-c", "import aiosmtpd").Code == 0;

    public static async Task<SmtpSink> StartAsync(CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Script);
        var p = Process.Start(psi)!;
        var line = await p.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(20), cancellationToken)
            ?? throw new InvalidOperationException("the SMTP sink exited before it listened");
        return new SmtpSink(p, int.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture));
    }

    public async Task<string> NextMailAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _mails.Reader.ReadAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException("no mail reached the SMTP sink within 20 s");
        }
    }

    private async Task PumpAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("MAIL ", StringComparison.Ordinal))
            {
                _mails.Writer.TryWrite(line[5..]);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
