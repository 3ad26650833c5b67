using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Tandem.Core.Status;
using Tandem.Daemon.Events;
using Tandem.Daemon.Status;
using Xunit;

namespace Tandem.Daemon.Tests.Status;

public sealed class StatusServiceTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 19, 0, 0, TimeSpan.Zero));

    private StatusService Create(params IStatusSection[] sections)
    {
        var node = new NodeContext(TestCluster.Spec, TestCluster.Spec.Nodes[0], new DaemonOptions { NodeName = "alpha" }, _time.GetUtcNow());
        return new StatusService(node, sections, new EventLog("alpha", 10, null, _time, NullLogger<EventLog>.Instance), _time);
    }

    [Fact]
    public void Uptime_comes_from_the_injected_clock()
    {
        var service = Create();
        _time.Advance(TimeSpan.FromSeconds(3723.5));
        Assert.Equal(3723.5, service.GetStatus().UptimeSeconds);
    }

    [Fact]
    public void Well_known_sections_come_first_then_the_others_in_registration_order()
    {
        var status = Create(new Section("zeta"), new Section("groups"), new Section("alpha")).GetStatus();
        Assert.Equal(["links", "peers", "volumes", "groups", "zeta", "alpha"], status.Sections.Select(kv => kv.Key));
        Assert.Equal("groups", Assert.IsType<SectionError>(status.Sections["groups"]).Error);
    }

    [Theory]
    [InlineData("node")]
    [InlineData("pid")]
    [InlineData("configSources")]
    public void A_section_cannot_take_a_name_of_the_document(string name) =>
        Assert.Throws<ArgumentException>(() => Create(new Section(name)));

    [Fact]
    public void Two_sections_cannot_share_a_name() =>
        Assert.Throws<ArgumentException>(() => Create(new Section("peers"), new Section("Peers")));

    [Fact]
    public void A_snapshot_may_be_reused_by_its_section_and_is_written_with_the_api_naming_policy()
    {
        var section = new Section("volumes");
        var service = Create(section);
        var first = service.GetStatus().ToJson();
        var second = service.GetStatus().ToJson();
        Assert.Equal(first, second);
        Assert.Contains("\"volumes\":{\"error\":\"volumes\"}", first, StringComparison.Ordinal);
    }

    [Fact]
    public void A_section_whose_type_the_api_cannot_write_shows_an_error_instead_of_failing_the_document()
    {
        var status = Create(new Untyped()).GetStatus();
        Assert.Contains("cannot write", Assert.IsType<SectionError>(status.Sections["untyped"]).Error, StringComparison.Ordinal);
        Assert.Contains("\"untyped\":{\"error\":", status.ToJson(), StringComparison.Ordinal);
    }

    private sealed class Section(string name) : IStatusSection
    {
        private readonly SectionError _shared = new(name);

        public string Name => name;

        public object GetSnapshot() => _shared;
    }

    private sealed class Untyped : IStatusSection
    {
        public string Name => "untyped";

        public object GetSnapshot() => new Uri("http://127.0.0.1/");
    }
}
