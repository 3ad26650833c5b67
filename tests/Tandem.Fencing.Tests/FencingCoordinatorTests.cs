using Tandem.Core.Model;
using Tandem.Fencing.Devices;
using Tandem.Resources.Tests.Support;
using Xunit;

namespace Tandem.Fencing.Tests;

public sealed class FencingCoordinatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly FencingOptions s_fast = new() { Deadline = TimeSpan.FromSeconds(1), InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(80) };

    private sealed class FakeDevice(string name, Func<string, bool> succeed, string? runsOn = null, params string[] targets) : IFenceDevice
    {
        public List<string> Calls { get; } = [];

        public FenceDeviceSpec Spec { get; } = new(name, FenceKind.Script, "/bin/true") { RunsOn = runsOn, Targets = targets };

        public Task<FenceResult> FenceAsync(string node, CancellationToken cancellationToken)
        {
            lock (Calls)
            {
                Calls.Add(node);
            }
            return Task.FromResult(succeed(node) ? FenceResult.Ok(name, "off") : FenceResult.Failed(name, "no answer"));
        }
    }

    private static FencingCoordinator Make(RecordingEventSink events, bool disabled, params IFenceDevice[] devices) =>
        new(new FencingSpec { Disabled = disabled, Devices = [.. devices.Select(d => d.Spec)] }, "alice", events, s_fast, devices);

    [Fact]
    public async Task A_clean_departure_needs_no_fencing()
    {
        var events = new RecordingEventSink();
        var device = new FakeDevice("d", _ => false);
        var decision = await Make(events, false, device).AuthorizeTakeoverAsync("bob", leftCleanly: true, Ct);
        Assert.True(decision.Allowed);
        Assert.Equal(TakeoverBasis.LeftCleanly, decision.Basis);
        Assert.Empty(device.Calls);
    }

    [Fact]
    public async Task Disabled_fencing_allows_takeover_with_a_warning_every_time()
    {
        var events = new RecordingEventSink();
        var coordinator = Make(events, true);
        for (var i = 0; i < 2; i++)
        {
            var decision = await coordinator.AuthorizeTakeoverAsync("bob", leftCleanly: false, Ct);
            Assert.True(decision.Allowed);
            Assert.Equal(TakeoverBasis.FencingDisabled, decision.Basis);
        }
        var warnings = events.Events.Where(e => e.Kind == "fencing.disabled").ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("WITHOUT FENCING", warnings[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_successful_fence_allows_takeover_and_devices_are_tried_in_order()
    {
        var events = new RecordingEventSink();
        var first = new FakeDevice("first", _ => false);
        var second = new FakeDevice("second", _ => true);
        var third = new FakeDevice("third", _ => true);
        var decision = await Make(events, false, first, second, third).AuthorizeTakeoverAsync("bob", false, Ct);
        Assert.True(decision.Allowed);
        Assert.Equal(TakeoverBasis.Fenced, decision.Basis);
        Assert.Equal(["bob"], first.Calls);
        Assert.Equal(["bob"], second.Calls);
        Assert.Empty(third.Calls);
        Assert.Equal("second", (await events.WaitAsync("fencing.succeeded", "bob")).Data!["device"]);
    }

    [Fact]
    public async Task Retries_with_backoff_until_success()
    {
        var events = new RecordingEventSink();
        var attempts = 0;
        var flaky = new FakeDevice("flaky", _ => ++attempts >= 3);
        var decision = await Make(events, false, flaky).AuthorizeTakeoverAsync("bob", false, Ct);
        Assert.True(decision.Allowed);
        Assert.Equal(3, attempts);
        Assert.Equal(2, events.Events.Count(e => e.Kind == "fencing.retry"));
    }

    [Fact]
    public async Task A_failed_fence_means_no_takeover()
    {
        var events = new RecordingEventSink();
        var dead = new FakeDevice("dead", _ => false);
        var started = DateTime.UtcNow;
        var decision = await Make(events, false, dead).AuthorizeTakeoverAsync("bob", false, Ct);
        Assert.False(decision.Allowed);
        Assert.Equal(TakeoverBasis.FenceFailed, decision.Basis);
        Assert.True(dead.Calls.Count >= 2, "the device was not retried");
        Assert.True(DateTime.UtcNow - started >= s_fast.Deadline - TimeSpan.FromMilliseconds(50), "gave up before the deadline");
        var failed = await events.WaitAsync("fencing.failed", "bob");
        Assert.Contains("will not be taken over", failed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fencing_the_caller_stops_waiting_for_ends_as_cancelled_not_as_failed()
    {
        var events = new RecordingEventSink();
        var dead = new FakeDevice("dead", _ => false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var coordinator = Make(events, false, dead);
        var decision = coordinator.AuthorizeTakeoverAsync("bob", false, cts.Token);
        await events.WaitAsync("fencing.attempt-failed", "bob");
        await cts.CancelAsync();
        Assert.False((await decision).Allowed);
        var cancelled = await events.WaitAsync("fencing.cancelled", "bob");
        Assert.Contains("no longer waits", cancelled.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(events.Events, e => e.Kind == "fencing.failed");
        Assert.DoesNotContain("no longer waits", coordinator.LastResults["bob"].Result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_usable_device_means_no_takeover()
    {
        var events = new RecordingEventSink();
        var decision = await Make(events, false).AuthorizeTakeoverAsync("bob", false, Ct);
        Assert.False(decision.Allowed);
        Assert.Equal(TakeoverBasis.NoDevice, decision.Basis);
        await events.WaitAsync("fencing.failed", "bob");
    }

    [Fact]
    public void Devices_are_filtered_by_where_they_run_and_whom_they_target()
    {
        var events = new RecordingEventSink();
        var any = new FakeDevice("any", _ => true);
        var mine = new FakeDevice("mine", _ => true, "alice");
        var theirs = new FakeDevice("theirs", _ => true, "bob");
        var forBob = new FakeDevice("forBob", _ => true, null, "bob");
        var forCarol = new FakeDevice("forCarol", _ => true, null, "carol");
        var c = Make(events, false, any, mine, theirs, forBob, forCarol);
        Assert.Equal(["any", "mine", "forBob"], c.DevicesFor("bob").Select(d => d.Spec.Name));
        Assert.Equal(["any", "mine", "forCarol"], c.DevicesFor("carol").Select(d => d.Spec.Name));
        Assert.Empty(c.DevicesFor("alice"));
    }

    [Fact]
    public async Task Manual_confirmation_completes_a_waiting_fence()
    {
        var events = new RecordingEventSink();
        var spec = new FenceDeviceSpec("hands", FenceKind.Manual, "");
        var coordinator = new FencingCoordinator(new FencingSpec { Devices = [spec] }, "alice", events,
            new FencingOptions { Deadline = TimeSpan.FromMinutes(1) });
        Assert.IsType<ManualFenceDevice>(Assert.Single(coordinator.Devices));
        Assert.False(coordinator.Confirm("bob"), "a confirmation with nothing waiting must not count");

        var decision = coordinator.AuthorizeTakeoverAsync("bob", false, Ct);
        var wait = await events.WaitAsync("fencing.manual-wait", "bob");
        Assert.Contains("tandem fence confirm bob", wait.Reason, StringComparison.Ordinal);
        Assert.False(decision.IsCompleted);
        Assert.False(coordinator.Confirm("carol"));
        var status = new FencingStatusSection(coordinator).GetSnapshot();
        Assert.Equal("bob", Assert.Single(status.AwaitingConfirmation));
        Assert.Equal("manual", Assert.Single(status.Devices).Kind);
        Assert.True(coordinator.Confirm("bob"));
        var result = await decision.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var after = new FencingStatusSection(coordinator).GetSnapshot();
        Assert.Empty(after.AwaitingConfirmation);
        Assert.True(after.Last["bob"].Success);
        Assert.True(after.Enabled);
        Assert.True(result.Allowed);
        Assert.Equal(TakeoverBasis.Fenced, result.Basis);
    }

    [Theory]
    [InlineData(null, null, null, null)]
    [InlineData("2", null, 2000.0, 2000.0)]
    [InlineData("500ms", "1s", 500.0, 1000.0)]
    [InlineData(null, "3s", 0.0, 3000.0)]
    public void Fence_delay_from_pcmk_parameters(string? baseDelay, string? maxDelay, double? low, double? high)
    {
        var p = new Dictionary<string, string>();
        if (baseDelay is not null)
        {
            p["pcmk_delay_base"] = baseDelay;
        }
        if (maxDelay is not null)
        {
            p["pcmk_delay_max"] = maxDelay;
        }
        var delay = FencingCoordinator.FenceDelay(new FenceDeviceSpec("d", FenceKind.Script, "x") { Parameters = p });
        if (low is null)
        {
            Assert.Null(delay);
            return;
        }
        Assert.InRange(delay!.Value.TotalMilliseconds, low.Value, high!.Value);
    }

    [Fact]
    public async Task A_delayed_device_waits_on_the_clock_before_fencing()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var events = new RecordingEventSink();
        var device = new FakeDevice("slow", _ => true);
        var spec = device.Spec with { Parameters = new Dictionary<string, string> { ["pcmk_delay_base"] = "5" } };
        var delayed = new DelegatingDevice(spec, device);
        var coordinator = new FencingCoordinator(new FencingSpec { Devices = [spec] }, "alice", events,
            new FencingOptions { Deadline = TimeSpan.FromMinutes(1) }, [delayed], time);
        var decision = coordinator.AuthorizeTakeoverAsync("bob", false, Ct);
        await events.WaitAsync("fencing.delay", "bob");
        Assert.Empty(device.Calls);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await decision.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Allowed);
        Assert.Equal(["bob"], device.Calls);
    }

    private sealed class DelegatingDevice(FenceDeviceSpec spec, IFenceDevice inner) : IFenceDevice
    {
        public FenceDeviceSpec Spec { get; } = spec;

        public Task<FenceResult> FenceAsync(string node, CancellationToken cancellationToken) => inner.FenceAsync(node, cancellationToken);
    }

    [Fact]
    public async Task Manual_fence_without_confirmation_fails_at_the_deadline()
    {
        var events = new RecordingEventSink();
        var coordinator = new FencingCoordinator(new FencingSpec { Devices = [new FenceDeviceSpec("hands", FenceKind.Manual, "")] }, "alice", events,
            new FencingOptions { Deadline = TimeSpan.FromMilliseconds(300) });
        var decision = await coordinator.AuthorizeTakeoverAsync("bob", false, Ct);
        Assert.False(decision.Allowed);
        Assert.Equal(TakeoverBasis.FenceFailed, decision.Basis);
    }
}
