using Tandem.Daemon.Hosting;
using Xunit;

namespace Tandem.Daemon.Tests.Hosting;

public sealed class PidFileLockTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tandem-pid-" + Guid.NewGuid().ToString("N"));

    public PidFileLockTests() => Directory.CreateDirectory(_dir);

    private string PidFile => Path.Combine(_dir, "tandem.pid");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_holder_writes_its_pid_and_a_second_claim_is_refused_with_it()
    {
        using var first = PidFileLock.Acquire(PidFile);
        Assert.Equal(Environment.ProcessId, PidFileLock.ReadPid(PidFile));
        // flock conflicts between separate opens even within one process.
        var e = Assert.Throws<DaemonAlreadyRunningException>(() => PidFileLock.Acquire(PidFile));
        Assert.Equal(Environment.ProcessId, e.Pid);
        // The refused claim must not have truncated the holder's file.
        Assert.Equal(Environment.ProcessId, PidFileLock.ReadPid(PidFile));
    }

    [Fact]
    public void Releasing_removes_the_file_and_frees_the_directory()
    {
        PidFileLock.Acquire(PidFile).Dispose();
        Assert.False(File.Exists(PidFile));
        using var again = PidFileLock.Acquire(PidFile);
        Assert.True(File.Exists(PidFile));
    }

    [Theory]
    [InlineData("4242\n")]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("123456789012345678901234567890\n")]
    public void An_unlocked_leftover_file_is_taken_over_whatever_it_holds(string content)
    {
        File.WriteAllText(PidFile, content);
        using var claim = PidFileLock.Acquire(PidFile);
        Assert.Equal(Environment.ProcessId, PidFileLock.ReadPid(PidFile));
    }

    [Fact]
    public void A_missing_directory_is_a_clear_start_error()
    {
        var e = Assert.Throws<DaemonStartException>(() => PidFileLock.Acquire(Path.Combine(_dir, "nope", "tandem.pid")));
        Assert.Contains("cannot open the pid file", e.Message, StringComparison.Ordinal);
    }
}
