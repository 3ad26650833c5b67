using System.Globalization;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Tandem.Core.Model;

namespace Tandem.Resources.Agents;

/// <summary>
/// Built-in <c>MailTo</c>: sends a mail through the configured SMTP relay when the group is taken
/// (start) and when it is released (stop), saying which node and why. Monitor reports running
/// between a start and a stop.
/// </summary>
/// <remarks>
/// Arguments are Heartbeat's: <c>MailTo::ADDRESS[,ADDRESS...][::SUBJECT]</c>; OCF-style
/// <c>email</c> and <c>subject</c> parameters work too. A mail that cannot be sent does not fail the
/// group (a notification must not cause a failover) unless <c>Parameters["required"] = "true"</c>.
/// </remarks>
public sealed class MailToAgent : BuiltInAgent
{
    private volatile bool _started;

    /// <summary>Creates the agent.</summary>
    /// <param name="spec">The resource.</param>
    /// <param name="context">Node, group and relay.</param>
    /// <param name="time">The clock; null for the system clock.</param>
    public MailToAgent(ResourceSpec spec, AgentContext context, TimeProvider? time = null)
        : base(spec, context, time)
    {
    }

    /// <summary>The recipients.</summary>
    public IReadOnlyList<string> Recipients =>
        (Spec.Parameters.TryGetValue("email", out var e) ? e : Spec.Arguments.Count > 0 ? Spec.Arguments[0] : "")
        .Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <inheritdoc />
    public override Task<AgentResult> ValidateAsync(CancellationToken cancellationToken) =>
        Task.FromResult(Recipients.Count == 0 ? new AgentResult(AgentCode.NotConfigured, "MailTo needs an address") : AgentResult.Ok());

    /// <inheritdoc />
    protected override async Task<AgentResult> StartCoreAsync(CancellationToken cancellationToken)
    {
        var result = await SendAsync("took over", cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            _started = true;
        }
        return result;
    }

    /// <inheritdoc />
    protected override async Task<AgentResult> StopCoreAsync(CancellationToken cancellationToken)
    {
        if (!_started)
        {
            return AgentResult.Ok("not started");
        }
        var result = await SendAsync("released", cancellationToken).ConfigureAwait(false);
        _started = false;
        return result.Succeeded ? result : AgentResult.Ok(result.Output);
    }

    /// <inheritdoc />
    protected override Task<AgentResult> MonitorCoreAsync(CancellationToken cancellationToken) =>
        Task.FromResult(_started ? AgentResult.Ok() : new AgentResult(AgentCode.NotRunning, "not started"));

    private async Task<AgentResult> SendAsync(string verb, CancellationToken cancellationToken)
    {
        var recipients = Recipients;
        if (recipients.Count == 0)
        {
            return new AgentResult(AgentCode.NotConfigured, "MailTo needs an address");
        }
        var prefix = Spec.Parameters.TryGetValue("subject", out var s) ? s : Spec.Arguments.Count > 1 ? Spec.Arguments[1] : "[tandem]";
        var node = Context.NodeName;
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(Context.Notification.From ?? $"tandem@{(node.Contains('.', StringComparison.Ordinal) ? node : node + ".localdomain")}"));
        foreach (var r in recipients)
        {
            message.To.Add(MailboxAddress.Parse(r));
        }
        message.Subject = $"{prefix} {node} {verb} group {Context.GroupName}";
        message.Body = new TextPart("plain")
        {
            Text = string.Create(CultureInfo.InvariantCulture,
                $"Node {node} {verb} resource group {Context.GroupName} at {Time.GetUtcNow():u}.\nReason: {Context.CurrentReason}\n"),
        };
        var (host, port) = Relay(Context.Notification.SmtpRelay);
        try
        {
            using var client = new SmtpClient();
            await client.ConnectAsync(host, port, SecureSocketOptions.None, cancellationToken).ConfigureAwait(false);
            await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
            await client.DisconnectAsync(true, cancellationToken).ConfigureAwait(false);
            return AgentResult.Ok($"mail sent to {string.Join(", ", recipients)} via {host}:{port}");
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or MailKit.ProtocolException or MailKit.CommandException)
        {
            var text = $"could not send mail via {host}:{port}: {ex.Message}";
            return Spec.Parameters.TryGetValue("required", out var req) && req == "true"
                ? new AgentResult(AgentCode.GenericError, text)
                : AgentResult.Ok(text);
        }
    }

    private static (string Host, int Port) Relay(string relay)
    {
        var i = relay.LastIndexOf(':');
        if (i > 0 && !relay.EndsWith(']') && int.TryParse(relay.AsSpan(i + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            return (relay[..i].Trim('[', ']'), port);
        }
        return (relay.Trim('[', ']'), 25);
    }
}
