using System.Buffers.Binary;
using System.Diagnostics;
using Tandem.Nbd.Protocol;

namespace Tandem.Nbd.Tests;

/// <summary>Malformed and hostile clients over a raw socket: each is answered as the protocol says
/// (an error reply or a disconnect), and a well-behaved client keeps being served meanwhile.</summary>
public sealed class HostileClientTests
{
    [Fact]
    public async Task Truncated_handshake_is_dropped_and_others_are_served()
    {
        await using var server = await TestServer.StartAsync();
        using (var client = new RawClient(server.SocketPath))
        {
            client.Receive(18);
            client.Send([0, 0]); // half of the client flags, then silence and close
        }
        using (var client = new RawClient(server.SocketPath))
        {
            client.Hello();
            client.Send(new byte[7]); // part of an option header
        }
        AssertServes(server);
    }

    [Fact]
    public async Task Unknown_client_flags_disconnect()
    {
        await using var server = await TestServer.StartAsync();
        using var client = new RawClient(server.SocketPath);
        client.Hello(clientFlags: 0x80);
        Assert.True(client.ServerClosed(), "the server should hang up on unknown client flags");
        AssertServes(server);
    }

    [Fact]
    public async Task Wrong_option_magic_disconnects()
    {
        await using var server = await TestServer.StartAsync();
        using var client = new RawClient(server.SocketPath);
        client.Hello();
        client.Send(new byte[16]);
        Assert.True(client.ServerClosed());
        AssertServes(server);
    }

    [Fact]
    public async Task Unknown_and_malformed_options_get_error_replies_and_negotiation_goes_on()
    {
        await using var server = await TestServer.StartAsync();
        using var client = new RawClient(server.SocketPath);
        client.Hello();

        client.SendOption(99, [1, 2, 3]);
        Assert.Equal(NbdOptionReply.ErrUnsup, client.ReceiveOptionReply(99).Reply);

        client.SendOption((uint)NbdOption.StartTls, []);
        Assert.Equal(NbdOptionReply.ErrUnsup, client.ReceiveOptionReply((uint)NbdOption.StartTls).Reply);

        // Oversized: the data is drained, not buffered, and refused.
        client.SendOption(98, new byte[1 << 20]);
        Assert.Equal(NbdOptionReply.ErrTooBig, client.ReceiveOptionReply(98).Reply);

        // A name length that points past the data.
        var bad = new byte[10];
        BinaryPrimitives.WriteUInt32BigEndian(bad, 1000);
        client.SendOption((uint)NbdOption.Go, bad);
        Assert.Equal(NbdOptionReply.ErrInvalid, client.ReceiveOptionReply((uint)NbdOption.Go).Reply);

        // An info count that disagrees with the length.
        var info = new NbdInfoRequest("test", [1, 2]).ToBytes();
        client.SendOption((uint)NbdOption.Info, info.AsSpan(0, info.Length - 1));
        Assert.Equal(NbdOptionReply.ErrInvalid, client.ReceiveOptionReply((uint)NbdOption.Info).Reply);

        client.SendOption((uint)NbdOption.Go, new NbdInfoRequest("nosuch", []).ToBytes());
        Assert.Equal(NbdOptionReply.ErrUnknown, client.ReceiveOptionReply((uint)NbdOption.Go).Reply);

        client.SendOption((uint)NbdOption.List, [1]);
        Assert.Equal(NbdOptionReply.ErrInvalid, client.ReceiveOptionReply((uint)NbdOption.List).Reply);

        client.SendOption((uint)NbdOption.StructuredReply, [1]);
        Assert.Equal(NbdOptionReply.ErrInvalid, client.ReceiveOptionReply((uint)NbdOption.StructuredReply).Reply);

        // After all that, the same connection still gets an export.
        client.SendOption((uint)NbdOption.Go, new NbdInfoRequest("test", [(ushort)NbdInfoType.Name]).ToBytes());
        var sawName = false;
        while (true)
        {
            var (reply, data) = client.ReceiveOptionReply((uint)NbdOption.Go);
            if (reply == NbdOptionReply.Ack)
            {
                break;
            }
            sawName |= BinaryPrimitives.ReadUInt16BigEndian(data) == (ushort)NbdInfoType.Name;
        }
        Assert.True(sawName, "NBD_INFO_NAME was asked for and not sent");
        client.SendRequest(NbdCommand.Flush, 0, 0, 7);
        Assert.Equal((NbdError.None, 7UL), Pick(client.ReceiveSimpleReply()));
    }

    [Fact]
    public async Task Export_name_for_an_unknown_export_disconnects_and_abort_is_acknowledged()
    {
        await using var server = await TestServer.StartAsync();
        using (var client = new RawClient(server.SocketPath))
        {
            client.Hello();
            client.SendOption((uint)NbdOption.ExportName, RawClient.Utf8("nosuch"));
            Assert.True(client.ServerClosed());
        }
        using (var client = new RawClient(server.SocketPath))
        {
            client.Hello();
            client.SendOption((uint)NbdOption.Abort, []);
            Assert.Equal(NbdOptionReply.Ack, client.ReceiveOptionReply((uint)NbdOption.Abort).Reply);
            Assert.True(client.ServerClosed());
        }
        using (var client = new RawClient(server.SocketPath))
        {
            // The legacy path: EXPORT_NAME with NO_ZEROES answers size and flags only.
            client.Hello();
            client.SendOption((uint)NbdOption.ExportName, RawClient.Utf8("test"));
            var answer = client.Receive(10);
            Assert.Equal(64UL << 20, BinaryPrimitives.ReadUInt64BigEndian(answer));
            client.SendRequest(NbdCommand.Read, 0, 512, 1);
            Assert.Equal(NbdError.None, client.ReceiveSimpleReply(512).Error);
        }
    }

    [Fact]
    public async Task Bad_requests_get_the_errors_the_protocol_names()
    {
        await using var server = await TestServer.StartAsync();
        using var client = new RawClient(server.SocketPath);
        var (size, flags) = client.Go();
        Assert.Equal(64UL << 20, size);
        Assert.True(flags.HasFlag(NbdTransmissionFlags.CanMultiConn));

        client.SendRequest(NbdCommand.Read, size - 512, 1024, 1);
        Assert.Equal((NbdError.Invalid, 1UL), Pick(client.ReceiveSimpleReply()));

        client.SendRequest(NbdCommand.Read, ulong.MaxValue - 10, 512, 2);
        Assert.Equal((NbdError.Invalid, 2UL), Pick(client.ReceiveSimpleReply()));

        client.SendRequest(NbdCommand.Write, size, 4, 3, payload: [1, 2, 3, 4]);
        Assert.Equal((NbdError.NoSpace, 3UL), Pick(client.ReceiveSimpleReply()));

        client.SendRequest(NbdCommand.WriteZeroes, size - 4096, 8192, 4);
        Assert.Equal((NbdError.NoSpace, 4UL), Pick(client.ReceiveSimpleReply()));

        client.SendRequest(NbdCommand.Trim, size, 4096, 5);
        Assert.Equal((NbdError.Invalid, 5UL), Pick(client.ReceiveSimpleReply()));

        client.SendRequest(NbdCommand.Read, 0, 64u << 20, 6);
        Assert.Equal((NbdError.Overflow, 6UL), Pick(client.ReceiveSimpleReply()));

        client.SendRequest((NbdCommand)42, 0, 512, 7);
        Assert.Equal((NbdError.Invalid, 7UL), Pick(client.ReceiveSimpleReply()));

        client.SendRequest(NbdCommand.BlockStatus, 0, 512, 8);
        Assert.Equal((NbdError.Invalid, 8UL), Pick(client.ReceiveSimpleReply()));

        client.SendRequest(NbdCommand.Read, 0, 512, 9, (NbdCommandFlags)(1 << 9));
        Assert.Equal((NbdError.Invalid, 9UL), Pick(client.ReceiveSimpleReply()));

        // DF needs structured replies; NO_HOLE belongs to WRITE_ZEROES.
        client.SendRequest(NbdCommand.Read, 0, 512, 10, NbdCommandFlags.DontFragment);
        Assert.Equal((NbdError.Invalid, 10UL), Pick(client.ReceiveSimpleReply()));
        client.SendRequest(NbdCommand.Write, 0, 4, 11, NbdCommandFlags.NoHole, [9, 9, 9, 9]);
        Assert.Equal((NbdError.Invalid, 11UL), Pick(client.ReceiveSimpleReply()));

        client.SendRequest(NbdCommand.Read, 0, 0, 12);
        Assert.Equal((NbdError.Invalid, 12UL), Pick(client.ReceiveSimpleReply()));

        // An oversized write: its payload is drained and refused, and the stream stays in step.
        client.SendRequest(NbdCommand.Write, 0, 40u << 20, 13, payload: new byte[40 << 20]);
        Assert.Equal((NbdError.Overflow, 13UL), Pick(client.ReceiveSimpleReply()));

        client.SendRequest(NbdCommand.Write, 4096, 4, 14, NbdCommandFlags.Fua, [1, 2, 3, 4]);
        Assert.Equal((NbdError.None, 14UL), Pick(client.ReceiveSimpleReply()));
        client.SendRequest(NbdCommand.Read, 4096, 4, 15);
        var read = client.ReceiveSimpleReply(4);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, read.Data);
        client.SendRequest(NbdCommand.Cache, 0, 4096, 16);
        Assert.Equal((NbdError.None, 16UL), Pick(client.ReceiveSimpleReply()));

        // A wrong request magic leaves nothing to answer: the server hangs up.
        client.Send(new byte[NbdRequestHeader.Size]);
        Assert.True(client.ServerClosed());
        AssertServes(server);
    }

    [Fact]
    public async Task Structured_replies_carry_data_chunks_and_error_chunks()
    {
        await using var server = await TestServer.StartAsync();
        using var client = new RawClient(server.SocketPath);
        var (size, flags) = client.Go(structured: true);
        Assert.True(flags.HasFlag(NbdTransmissionFlags.SendDf));
        client.SendRequest(NbdCommand.Write, 8192, 3, 1, payload: [7, 8, 9]);
        Assert.Equal(NbdError.None, client.ReceiveAnyReply().Error);

        client.SendRequest(NbdCommand.Read, 8192, 3, 2, NbdCommandFlags.DontFragment);
        var data = client.ReceiveAnyReply();
        Assert.True(data.Structured);
        Assert.Equal((ushort)NbdReplyType.OffsetData, data.Type);
        Assert.Equal(8192UL, BinaryPrimitives.ReadUInt64BigEndian(data.Payload));
        Assert.Equal(new byte[] { 7, 8, 9 }, data.Payload[8..]);

        client.SendRequest(NbdCommand.Read, size, 512, 3);
        var error = client.ReceiveAnyReply();
        Assert.True(error.Structured);
        Assert.Equal((ushort)NbdReplyType.Error, error.Type);
        Assert.Equal(NbdError.Invalid, error.Error);
        Assert.Equal(3UL, error.Cookie);
    }

    [Fact]
    public async Task Pipelined_requests_are_all_answered()
    {
        await using var server = await TestServer.StartAsync();
        using var client = new RawClient(server.SocketPath);
        client.Go();
        const int count = 500;
        for (var i = 0; i < count; i++)
        {
            client.SendRequest(NbdCommand.Write, (ulong)i * 4096, 4096, (ulong)i, payload: Enumerable.Repeat((byte)i, 4096).ToArray());
        }
        client.SendRequest(NbdCommand.Flush, 0, 0, 10_000);
        var cookies = new HashSet<ulong>();
        for (var i = 0; i <= count; i++)
        {
            var reply = client.ReceiveSimpleReply();
            Assert.Equal(NbdError.None, reply.Error);
            Assert.True(cookies.Add(reply.Cookie), $"cookie {reply.Cookie} answered twice");
        }
        Assert.Contains(10_000UL, cookies);
        for (var i = 0; i < count; i += 97)
        {
            client.SendRequest(NbdCommand.Read, (ulong)i * 4096, 4096, (ulong)i);
            Assert.All(client.ReceiveSimpleReply(4096).Data, b => Assert.Equal((byte)i, b));
        }
        client.SendRequest(NbdCommand.Disconnect, 0, 0, 0);
        Assert.True(client.ServerClosed());
    }

    [Fact]
    public async Task A_client_that_stops_reading_does_not_stall_others()
    {
        await using var server = await TestServer.StartAsync(options: new NbdServerOptions { MaxInFlightBytes = 8 << 20 });
        using var stalled = new RawClient(server.SocketPath);
        stalled.Go();
        // Far more reply data than socket buffers and the per-client budget hold: the server
        // must stop reading this client's requests, not buffer without bound or block others.
        var sender = Task.Run(() =>
        {
            try
            {
                for (var i = 0; i < 400; i++)
                {
                    stalled.SendRequest(NbdCommand.Read, 0, 1 << 20, (ulong)i);
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Our send blocks (and times out) once the server stops reading: expected.
            }
        }, TestContext.Current.CancellationToken);

        var watch = Stopwatch.StartNew();
        for (var round = 0; round < 20; round++)
        {
            AssertServes(server);
        }
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"a well-behaved client took {watch.Elapsed} for 20 rounds");
        Assert.Contains(server.Server.Clients, c => c.Export == "test");
        stalled.Socket.Close();
        await sender;
        AssertServes(server);
    }

    [Fact]
    public async Task A_silent_client_is_dropped_after_the_handshake_timeout()
    {
        await using var server = await TestServer.StartAsync(options: new NbdServerOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = new RawClient(server.SocketPath, receiveTimeoutMs: 10_000);
        client.Receive(18);
        Assert.True(client.ServerClosed(), "the server kept a silent client past its handshake timeout");
        AssertServes(server);
    }

    [Fact]
    public async Task Stopping_the_server_closes_clients()
    {
        var server = await TestServer.StartAsync();
        using var client = new RawClient(server.SocketPath);
        client.Go();
        Assert.Single(server.Server.Clients);
        await server.DisposeAsync();
        Assert.True(client.ServerClosed());
        Assert.False(File.Exists(server.SocketPath));
    }

    /// <summary>A well-behaved client: negotiate, write, read back, disconnect.</summary>
    private static void AssertServes(TestServer server)
    {
        using var client = new RawClient(server.SocketPath);
        client.Go("test");
        var payload = Guid.NewGuid().ToByteArray();
        client.SendRequest(NbdCommand.Write, 1 << 20, (uint)payload.Length, 100, payload: payload);
        Assert.Equal(NbdError.None, client.ReceiveSimpleReply().Error);
        client.SendRequest(NbdCommand.Read, 1 << 20, (uint)payload.Length, 101);
        Assert.Equal(payload, client.ReceiveSimpleReply(payload.Length).Data);
        client.SendRequest(NbdCommand.Disconnect, 0, 0, 102);
    }

    private static (NbdError, ulong) Pick((NbdError Error, ulong Cookie, byte[] Data) reply) => (reply.Error, reply.Cookie);
}
