using Tandem.Core.Files;
using Xunit;

namespace Tandem.Core.Tests.Files;

/// <summary>Issue #18 item 7: only a regular file is read, never more than the limit, never waiting.</summary>
public sealed class RegularFileTests : IDisposable
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-regular-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void MkFifo(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", ["-m", "600", path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    internal static string Fifo(string dir)
    {
        var path = Path.Combine(dir, "fifo");
        MkFifo(path);
        return path;
    }

    private static RegularFileRead ReadWithin(string path, long max = 1 << 20)
    {
        var task = Task.Run(() => RegularFile.Read(path, max, "the test file"), TestContext.Current.CancellationToken);
        Assert.True(task.Wait(s_deadline, TestContext.Current.CancellationToken), $"reading {path} did not return within {s_deadline.TotalSeconds} s");
        return task.Result;
    }

    [Fact]
    public void A_regular_file_is_read_whole()
    {
        var path = Path.Combine(_dir, "f");
        File.WriteAllText(path, "hello\n");
        var read = ReadWithin(path);
        Assert.True(read.Succeeded, read.Problem);
        Assert.Equal("hello\n"u8.ToArray(), read.Bytes);
    }

    [Fact]
    public void A_fifo_is_refused_at_once_and_named()
    {
        var path = Fifo(_dir);
        var read = ReadWithin(path);
        Assert.Equal(RegularFileStatus.NotRegular, read.Status);
        Assert.Equal($"the test file '{path}' is a FIFO (named pipe), not a regular file", read.Problem);
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    public void A_device_is_refused_even_through_a_link(string device)
    {
        var link = Path.Combine(_dir, "link");
        File.CreateSymbolicLink(link, device);
        var read = ReadWithin(link);
        Assert.Equal(RegularFileStatus.NotRegular, read.Status);
        Assert.Contains("a character device, not a regular file", read.Problem, StringComparison.Ordinal);
        Assert.Contains(link, read.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_directory_and_too_large_are_told_apart()
    {
        Assert.Equal(RegularFileStatus.Missing, ReadWithin(Path.Combine(_dir, "none")).Status);
        Assert.Equal(RegularFileStatus.Directory, ReadWithin(_dir).Status);
        var big = Path.Combine(_dir, "big");
        File.WriteAllBytes(big, new byte[101]);
        var read = ReadWithin(big, max: 100);
        Assert.Equal(RegularFileStatus.TooLarge, read.Status);
        Assert.Equal(RegularFileStatus.Read, ReadWithin(big, max: 101).Status);
    }
}
