using Grpc.Core;
using Grpc.Core.Interceptors;
using StackExchange.Redis;

namespace Mesh.Bot.Grpc;

/// <summary>The one place store failures become gRPC statuses: Redis down or slow → <c>Unavailable</c>, so callers retry.</summary>
public sealed partial class StoreUnavailableInterceptor(ILogger<StoreUnavailableInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogUnavailable(logger, context.Method, e.GetType().Name);
            throw new RpcException(new Status(StatusCode.Unavailable, "The bot's store is unavailable; try again."));
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "{Method} failed: Redis unavailable ({Error})")]
    static partial void LogUnavailable(ILogger logger, string method, string error);
}
