using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Bench.Grpc;
using Mesh.Bot.Grpc;
using Mesh.Bot.Telegram;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

// What two transports of the update path cost per update, each against a leaner way of moving the same bytes, measured
// in the same run (rounds alternate, so a slow minute hits both). CPU time is this process's: client and, for gRPC,
// server too; the update path's other costs (Redis, handlers) are not here.
//
//   http: the bot's sendMessage as it sends it (BotApiTransport on its HttpClient) to nginx answering with a canned
//         message, against the same request bytes written to a kept-alive socket and the answer read by its
//         Content-Length (no client library: the least an HTTP/1.1 call can cost). --concurrency is Bot:Workers.
//   grpc: the gateway's batches of updates (the contract's AcceptBatchRequest) as one call each, as AcceptBatch carries
//         them, against one long-lived stream with a message per batch each way, to a server in this process that
//         answers every item ACCEPTED. --concurrency is Gateway:AcceptConcurrency.
//
//   dotnet run -c Release --project bench/Transport.Bench -- http|grpc [--seconds 8] [--rounds 3] [--concurrency n] [--batch 14]
// Run it as the services run (socket completions inline): DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1.
var mode = args.FirstOrDefault();
var seconds = Arg("--seconds", 8);
var rounds = Arg("--rounds", 3);
var batch = Arg("--batch", 14);
if (mode is not ("http" or "grpc") || seconds < 1 || rounds < 1 || batch < 1)
{
    Console.Error.WriteLine("usage: Transport.Bench http|grpc [--seconds 8] [--rounds 3] [--concurrency n] [--batch 14]");
    return 2;
}
Console.WriteLine($"Transport benchmark ({mode}): {rounds} rounds of {seconds} s per way after a warm-up, socket completions inline: " +
    $"{Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1"}");
return mode == "http" ? await HttpAsync(Arg("--concurrency", 32)) : await GrpcAsync(Arg("--concurrency", 2));

async Task<int> HttpAsync(int concurrency)
{
    // nginx proxies what it does not answer itself; nothing else is sent here, so the upstream is never reached.
    await using var nginx = await NginxSink.StartAsync("http://127.0.0.1:9");
    const string token = "123456:bench";
    var transport = new BotApiTransport(TelegramClientFactory.CreateHttpClient(null!, null),
        Options.Create(new TelegramOptions { BotToken = token, ApiBaseUrl = nginx.Url }));
    var menu = new InlineKeyboardMarkup([
        [InlineKeyboardButton.WithCallbackData("👤 Profile", "m:1:profile"), InlineKeyboardButton.WithCallbackData("❓ Help", "m:1:help")],
        [InlineKeyboardButton.WithCallbackData("🌐 Language", "m:1:language")],
    ]);
    SendMessageForId Request() => new(123456789, "Hello, Ada! Welcome to the bot. Pick an item of the menu below.", ParseMode.Html, menu);

    // The baseline sends the very bytes BotApiTransport sends: the same body, and the headers HttpClient writes.
    using var content = Request().ToHttpContent();
    var body = await content.ReadAsByteArrayAsync();
    var uri = new Uri($"{nginx.Url}/bot{token}/sendMessage");
    var wire = Encoding.ASCII.GetBytes($"POST {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\n" +
        $"Content-Type: {content.Headers.ContentType}\r\nContent-Length: {body.Length}\r\n\r\n").Concat(body).ToArray();
    var sockets = new System.Collections.Concurrent.ConcurrentBag<Socket>();

    async Task ViaTransport() => await transport.SendAsync(Request(), CancellationToken.None);

    async Task ViaSocket()
    {
        if (!sockets.TryTake(out var socket))
        {
            socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, uri.Port);
        }
        await socket.SendAsync(wire, SocketFlags.None);
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            for (var read = 0; ;)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
                read += n > 0 ? n : throw new IOException("nginx closed the connection.");
                if (AnswerLength(buffer.AsSpan(0, read)) is { } length && read >= length)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        sockets.Add(socket);
    }

    await CompareAsync("sendMessage", "request", "HttpClient (BotApiTransport)", ViaTransport, "a socket", ViaSocket, concurrency, 1, nginx.ProcessId);
    foreach (var socket in sockets)
    {
        socket.Dispose();
    }
    return 0;
}

async Task<int> GrpcAsync(int concurrency)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
    builder.Services.AddGrpc();
    await using var app = builder.Build();
    app.MapGrpcService<AcceptEverything>();
    await app.StartAsync();
    using var channel = GrpcChannel.ForAddress(app.Urls.First());
    var client = new BatchTransport.BatchTransportClient(channel);

    var id = 0L;
    AcceptBatchRequest Batch()
    {
        var request = new AcceptBatchRequest();
        for (var i = 0; i < batch; i++)
        {
            var updateId = Interlocked.Increment(ref id);
            var chat = 1 + updateId % 1000;
            request.Updates.Add(new AcceptItem
            {
                UpdateId = updateId,
                ChatId = chat,
                UpdateJson = ByteString.CopyFromUtf8(string.Create(CultureInfo.InvariantCulture,
                    $$$"""{"update_id":{{{updateId}}},"message":{"message_id":{{{updateId}}},"from":{"id":{{{chat}}},"is_bot":false,"first_name":"Ada","language_code":"en"},"chat":{"id":{{{chat}}},"type":"private","first_name":"Ada"},"date":1700000000,"text":"/start"}}""")),
                Traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            });
        }
        return request;
    }

    // As the gateway calls: a deadline on every call.
    async Task PerCall() => await client.PerCallAsync(Batch(), deadline: DateTime.UtcNow.AddSeconds(10));

    // One stream: batches written in turn, answers matched to them in order.
    using var stream = client.OneStream();
    var waiting = new System.Collections.Concurrent.ConcurrentQueue<TaskCompletionSource>();
    var writing = new SemaphoreSlim(1);
    var reading = Task.Run(async () =>
    {
        await foreach (var _ in stream.ResponseStream.ReadAllAsync())
        {
            waiting.TryDequeue(out var answered);
            answered!.SetResult();
        }
    });
    async Task OneStream()
    {
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await writing.WaitAsync();
        try
        {
            waiting.Enqueue(answered);
            await stream.RequestStream.WriteAsync(Batch());
        }
        finally
        {
            writing.Release();
        }
        await answered.Task;
    }

    await CompareAsync($"batches of {batch} updates", "update", "a call per batch", PerCall, "one stream", OneStream, concurrency, batch, null);
    await stream.RequestStream.CompleteAsync();
    await reading;
    await app.StopAsync();
    return 0;
}

// Runs both ways in alternating rounds and prints CPU time (µs) and allocations per item of each and their ratio.
async Task CompareAsync(string what, string item, string name, Func<Task> way, string baselineName, Func<Task> baseline, int concurrency, int itemsPerOp, int? peer)
{
    Console.WriteLine($"{what}, {concurrency} at a time{(peer is null ? "" : "; nginx's CPU alongside")}");
    await RunAsync(way, concurrency, itemsPerOp, peer, 2);
    await RunAsync(baseline, concurrency, itemsPerOp, peer, 2);
    var ratios = new List<double>();
    for (var round = 1; round <= rounds; round++)
    {
        var a = await RunAsync(way, concurrency, itemsPerOp, peer, seconds);
        var b = await RunAsync(baseline, concurrency, itemsPerOp, peer, seconds);
        ratios.Add(b.CpuMicroseconds / a.CpuMicroseconds);
        Console.WriteLine($"  round {round}: {name} {a}  |  {baselineName} {b}  |  CPU {baselineName} / {name} {ratios[^1]:F2}");
    }
    ratios.Sort();
    Console.WriteLine($"  median CPU per {item}, {baselineName} / {name}: {ratios[ratios.Count / 2]:F2}");
}

static async Task<Round> RunAsync(Func<Task> operation, int concurrency, int itemsPerOp, int? peer, int seconds)
{
    using var process = Process.GetCurrentProcess();
    var stop = Stopwatch.StartNew();
    long operations = 0;
    var cpu = process.TotalProcessorTime;
    var peerCpu = PeerCpu(peer);
    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        while (stop.Elapsed.TotalSeconds < seconds)
        {
            await operation();
            Interlocked.Increment(ref operations);
        }
    }));
    process.Refresh();
    var items = (double)operations * itemsPerOp;
    return new Round(items / stop.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalMicroseconds / items,
        (GC.GetTotalAllocatedBytes(precise: true) - allocated) / items, peer is null ? null : (PeerCpu(peer) - peerCpu) * 1e6 / items);
}

// A process's CPU seconds so far, from /proc (user + system, in clock ticks of 10 ms).
static double PeerCpu(int? pid)
{
    if (pid is null)
    {
        return 0;
    }
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
}

// The length of an HTTP answer whose headers are all in (headers and body, by Content-Length); null until they are.
static int? AnswerLength(ReadOnlySpan<byte> read)
{
    var end = read.IndexOf("\r\n\r\n"u8);
    if (end < 0)
    {
        return null;
    }
    var headers = read[..end];
    var at = headers.IndexOf("\r\nContent-Length: "u8);
    if (at < 0)
    {
        throw new InvalidDataException("The answer has no Content-Length.");
    }
    var value = headers[(at + 18)..];
    var eol = value.IndexOf("\r\n"u8);
    return end + 4 + int.Parse(Encoding.ASCII.GetString(eol < 0 ? value : value[..eol]), CultureInfo.InvariantCulture);
}

int Arg(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

readonly record struct Round(double PerSecond, double CpuMicroseconds, double AllocatedBytes, double? PeerCpuMicroseconds)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{PerSecond:N0}/s, {CpuMicroseconds:F1} µs, {AllocatedBytes / 1024:F2} KB{(PeerCpuMicroseconds is { } peer ? $" (nginx {peer:F1} µs)" : "")}");
}

/// <summary>Answers every item ACCEPTED, per call or per stream message: the transport's cost alone.</summary>
sealed class AcceptEverything : BatchTransport.BatchTransportBase
{
    static AcceptBatchReply Answer(AcceptBatchRequest request)
    {
        var reply = new AcceptBatchReply();
        foreach (var _ in request.Updates)
        {
            reply.Statuses.Add(AcceptStatus.Accepted);
        }
        return reply;
    }

    public override Task<AcceptBatchReply> PerCall(AcceptBatchRequest request, ServerCallContext context) => Task.FromResult(Answer(request));

    public override async Task OneStream(IAsyncStreamReader<AcceptBatchRequest> requests, IServerStreamWriter<AcceptBatchReply> replies, ServerCallContext context)
    {
        await foreach (var request in requests.ReadAllAsync(context.CancellationToken))
        {
            await replies.WriteAsync(Answer(request));
        }
    }
}
