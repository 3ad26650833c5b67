using Tandem.Core.Model;
using Tandem.Resources.Agents;
using Tandem.Resources.Tests.Support;
using Xunit;

namespace Tandem.Resources.Tests.Agents;

public sealed class MailToAgentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_and_stop_send_mail_saying_which_node_and_why()
    {
        if (!SmtpSink.Available)
        {
            Assert.Skip("python3-aiosmtpd is not installed");
        }
        await using var sink = await SmtpSink.StartAsync(Ct);
        var context = new AgentContext("alice", "web") { Notification = new NotificationSpec { SmtpRelay = $"127.0.0.1:{sink.Port}" } };
        var agent = new MailToAgent(new ResourceSpec("MailTo", "MailTo") { Class = AgentClass.BuiltIn, Arguments = ["ops@example.com", "[cluster]"] }, context);

        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
        context.CurrentReason = "bob died and was fenced";
        var started = await agent.StartAsync(Ct);
        Assert.Equal(AgentCode.Success, started.Code);
        var mail = await sink.NextMailAsync(Ct);
        Assert.StartsWith("ops@example.com # [cluster] alice took over group web #", mail, StringComparison.Ordinal);
        Assert.Contains("Reason: bob died and was fenced", mail, StringComparison.Ordinal);
        Assert.Equal(AgentCode.Success, (await agent.MonitorAsync(Ct)).Code);

        context.CurrentReason = "standby requested";
        Assert.Equal(AgentCode.Success, (await agent.StopAsync(Ct)).Code);
        var released = await sink.NextMailAsync(Ct);
        Assert.Contains("alice released group web", released, StringComparison.Ordinal);
        Assert.Contains("standby requested", released, StringComparison.Ordinal);
        Assert.Equal(AgentCode.NotRunning, (await agent.MonitorAsync(Ct)).Code);
    }

    [Fact]
    public async Task An_unreachable_relay_does_not_fail_the_group_unless_required()
    {
        // Port 1 on loopback: connection refused at once.
        var context = new AgentContext("alice", "web") { Notification = new NotificationSpec { SmtpRelay = "127.0.0.1:1" } };
        var lenient = new MailToAgent(new ResourceSpec("MailTo", "MailTo") { Arguments = ["ops@example.com"] }, context);
        var result = await lenient.StartAsync(Ct);
        Assert.Equal(AgentCode.Success, result.Code);
        Assert.Contains("could not send", result.Output, StringComparison.Ordinal);

        var strict = new MailToAgent(new ResourceSpec("MailTo", "MailTo")
        {
            Arguments = ["ops@example.com"],
            Parameters = new Dictionary<string, string> { ["required"] = "true" },
        }, context);
        Assert.Equal(AgentCode.GenericError, (await strict.StartAsync(Ct)).Code);
    }
}
