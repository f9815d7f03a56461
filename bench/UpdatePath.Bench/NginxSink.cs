using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

/// <summary>
/// The Bot API stand-in the issue names: nginx, in a process of its own, answering every <c>sendMessage</c> with a canned
/// message and proxying every other method (setWebhook, getMe, setMyCommands…) to the sandbox. It costs the machine a
/// fraction of what an in-process sink does, so the benchmark's own CPU does not eat the mesh's share. Each reply is one
/// line of one character in a buffered log, so <see cref="Count"/> is the log's length ÷ 2 (at most 20 ms behind).
/// </summary>
sealed class NginxSink : IAsyncDisposable
{
    const string Executable = "/usr/sbin/nginx";
    const string CannedReply = """{"ok":true,"result":{"message_id":1,"from":{"id":1,"is_bot":true,"first_name":"Sink","username":"sink_bot"},"chat":{"id":1,"type":"private","first_name":"Sink"},"date":1700000000,"text":"ok"}}""";

    readonly Process process;
    readonly string directory;
    readonly string log;

    NginxSink(Process process, string directory, string url)
    {
        this.process = process;
        this.directory = directory;
        log = Path.Combine(directory, "sink.log");
        Url = url;
    }

    public string Url { get; }

    public long Count => File.Exists(log) ? new FileInfo(log).Length / 2 : 0;

    public static bool Available => File.Exists(Executable);

    /// <summary>Starts nginx on a free port in front of <paramref name="upstream"/> (the sandbox's base URL).</summary>
    public static async Task<NginxSink> StartAsync(string upstream)
    {
        var directory = Directory.CreateTempSubdirectory("mesh-bench-nginx-").FullName;
        Directory.CreateDirectory(Path.Combine(directory, "tmp"));
        var port = FreePort();
        // One process, no master (a kill stops it all), in the foreground; the sink's location logs one byte and a newline per reply.
        File.WriteAllText(Path.Combine(directory, "nginx.conf"), string.Create(CultureInfo.InvariantCulture, $$"""
            worker_processes 1;
            master_process off;
            daemon off;
            pid nginx.pid;
            error_log error.log warn;
            events { worker_connections 4096; }
            http {
              access_log off;
              client_body_temp_path tmp;
              proxy_temp_path tmp;
              log_format sink '1';
              keepalive_requests 1000000000;
              keepalive_timeout 300s;
              server {
                listen 127.0.0.1:{{port}};
                location ~ ^/bot[^/]+/sendMessage$ {
                  access_log sink.log sink buffer=64k flush=20ms;
                  default_type application/json;
                  return 200 '{{CannedReply}}';
                }
                location / {
                  proxy_pass {{upstream}};
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_read_timeout 120s;
                }
              }
            }
            """));
        var start = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-p", directory + "/", "-c", "nginx.conf", "-e", "error.log" })
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("nginx did not start.");
        var sink = new NginxSink(process, directory, $"http://127.0.0.1:{port}");
        using var tcp = new TcpClient();
        for (var deadline = DateTime.UtcNow.AddSeconds(10); ; await Task.Delay(50))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited: {await process.StandardError.ReadToEndAsync()}{File.ReadAllText(Path.Combine(directory, "error.log"))}");
            }
            try
            {
                await tcp.ConnectAsync(IPAddress.Loopback, port);
                return sink;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }

    public int ProcessId => process.Id;

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        process.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
