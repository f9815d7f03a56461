using Mesh.Bot.Features.Start;
using Mesh.Bot.Updates;
using Telegram.Bot.Types.Enums;

namespace Mesh.Bot.Conversations;

/// <summary>
/// A feature of the bot: one file that declares its routes, found and registered at start.
/// <code>
/// sealed class SupportFeature : IBotFeature
/// {
///     public void Map(BotRouter r)
///     {
///         r.Command("support", StartAsync);
///         r.Text(SupportFlow.Subject, SubjectAsync);
///         r.Callback&lt;TicketButton&gt;(b =&gt; b.Action == "open", OpenAsync);
///     }
/// }
/// </code>
/// </summary>
public interface IBotFeature
{
    /// <summary>Features are tried in this order (then by name); the start feature, with <c>/start</c> and <c>/cancel</c>, is first.</summary>
    int Order => 0;

    void Map(BotRouter r);
}

public delegate Task BotHandler(BotContext ctx);

/// <summary>Draws a menu screen: its text and buttons (<see cref="MenuBuilder"/>).</summary>
public delegate Task ScreenRenderer(BotContext ctx, MenuBuilder menu);

/// <summary>
/// The routes of every feature, in order: an update goes to the first route whose filters all match (kind of update,
/// command, conversation step, callback data, chat type). Menu screens are declared here too.
/// </summary>
public sealed class BotRouter
{
    readonly List<Route> routes = [];
    readonly Dictionary<string, ScreenRenderer> screens = new(StringComparer.Ordinal);
    readonly HashSet<Step> textSteps = [];
    string feature = "";

    public IReadOnlyList<Route> Routes => routes;

    /// <summary>The router of all <paramref name="features"/>, in their <see cref="IBotFeature.Order"/>.</summary>
    public static BotRouter Build(IEnumerable<IBotFeature> features)
    {
        var router = new BotRouter();
        foreach (var f in features.OrderBy(f => f.Order).ThenBy(f => f.GetType().Name, StringComparer.Ordinal))
        {
            router.feature = f.GetType().Name;
            f.Map(router);
        }
        router.feature = "";
        return router;
    }

    /// <summary>A message <c>/command</c> (also <c>/command@ThisBot args</c>; another bot's never comes here: <see cref="BotDispatcher"/>), at any step.</summary>
    public Route Command(string command, BotHandler handler)
    {
        var name = command.TrimStart('/').ToLowerInvariant();
        return Add($"/{name}", RouteKind.Message, ctx => ctx.Command == name, handler);
    }

    /// <summary>A text message (not a command) while the conversation is at <paramref name="step"/>.</summary>
    public Route Text(Step step, BotHandler handler)
    {
        textSteps.Add(step);
        return Add($"text@{step}", RouteKind.Message, ctx => ctx.Text is not null && ctx.Command is null, handler).At(step);
    }

    /// <summary>Whether some route takes text at <paramref name="step"/> (otherwise the step wants buttons).</summary>
    public bool TakesText(Step step) => textSteps.Contains(step);

    /// <summary>A text message (not a command) that <paramref name="filter"/> accepts, at any step.</summary>
    public Route Text(Func<string, bool> filter, BotHandler handler) =>
        Add("text", RouteKind.Message, ctx => ctx.Text is { } text && ctx.Command is null && filter(text), handler);

    /// <summary>
    /// An edit of a text message (not into a command) while the conversation is at any step of <paramref name="flow"/>
    /// (<see cref="Step.Flow"/>): the user corrected something they sent. The handler tells whether it was an answer of
    /// the dialog; an edit no route takes gets no reaction at all (<see cref="BotDispatcher"/>).
    /// </summary>
    public Route EditedText(string flow, BotHandler handler) =>
        Add($"edited text@{flow}", RouteKind.Edit,
            ctx => ctx.Update.EditedMessage is { Text: { } text } && BotCommand.Of(text) is null && ctx.Flow.Step?.Flow == flow, handler);

    /// <summary>A button press whose callback data reads as a <typeparamref name="T"/> that <paramref name="filter"/> accepts.</summary>
    public Route Callback<T>(Func<T, bool> filter, Func<BotContext, T, Task> handler) where T : CallbackData =>
        Add($"callback:{CallbackData.PrefixOf<T>()}", RouteKind.Callback,
            ctx => CallbackData.Unpack<T>(ctx.Update.CallbackQuery?.Data) is { } data && filter(data),
            ctx => handler(ctx, CallbackData.Unpack<T>(ctx.Update.CallbackQuery!.Data)!));

    public Route Callback<T>(Func<BotContext, T, Task> handler) where T : CallbackData => Callback(_ => true, handler);

    /// <summary>A button press whose callback data starts with <paramref name="prefix"/> (untyped buttons).</summary>
    public Route CallbackPrefix(string prefix, BotHandler handler) =>
        Add($"callback:{prefix}*", RouteKind.Callback, ctx => ctx.Update.CallbackQuery?.Data?.StartsWith(prefix, StringComparison.Ordinal) == true, handler);

    /// <summary>A menu screen, shown with <c>ctx.OpenMenuAsync</c> / <c>ctx.ShowMenuAsync</c> and by navigation buttons.</summary>
    public void Screen(string name, ScreenRenderer render)
    {
        if (!screens.TryAdd(name, render))
        {
            throw new InvalidOperationException($"The menu screen '{name}' is declared twice.");
        }
    }

    public ScreenRenderer? FindScreen(string name) => screens.GetValueOrDefault(name);

    /// <summary>The first route that takes this update, or null.</summary>
    public Route? Match(BotContext ctx)
    {
        var kind = ctx.Update.CallbackQuery is not null ? RouteKind.Callback
            : ctx.Update.Message is not null ? RouteKind.Message
            : ctx.Update.EditedMessage is not null ? RouteKind.Edit
            : (RouteKind?)null;
        return kind is null ? null : routes.FirstOrDefault(r => r.Kind == kind && r.Matches(ctx));
    }

    Route Add(string name, RouteKind kind, Func<BotContext, bool> filter, BotHandler handler)
    {
        var route = new Route($"{feature}{(feature.Length > 0 ? " " : "")}{name}", kind, filter, handler);
        routes.Add(route);
        return route;
    }
}

public enum RouteKind
{
    Message,
    Callback,

    /// <summary>An edit of a message the user sent (<c>edited_message</c>).</summary>
    Edit,
}

/// <summary>One handler and its filters; narrow it with <see cref="At"/> and <see cref="InChats"/>.</summary>
public sealed class Route
{
    readonly List<Func<BotContext, bool>> filters = [];

    internal Route(string name, RouteKind kind, Func<BotContext, bool> filter, BotHandler handler)
    {
        Name = name;
        Kind = kind;
        Handler = handler;
        filters.Add(filter);
    }

    /// <summary>Feature and filter, for logs and traces (<c>ProfileFeature text@profile.city</c>).</summary>
    public string Name { get; }

    public RouteKind Kind { get; }

    public BotHandler Handler { get; }

    /// <summary>The step the route belongs to (<see cref="At"/>), or null for a route of any step.</summary>
    public Step? Step { get; private set; }

    /// <summary>A command that only answers (<c>/help</c>): a user in a dialog stays in it (<see cref="KeepingDialog"/>).</summary>
    public bool KeepsDialog { get; private set; }

    /// <summary>The command leaves a dialog the user is in as it is, where any other command ends it.</summary>
    public Route KeepingDialog()
    {
        KeepsDialog = true;
        return this;
    }

    /// <summary>Only while the conversation is at <paramref name="step"/>.</summary>
    public Route At(Step step)
    {
        Step = step;
        filters.Insert(0, ctx => ctx.Flow.IsAt(step));
        return this;
    }

    /// <summary>Only in chats of these types (private, group, supergroup, channel).</summary>
    public Route InChats(params ChatType[] types)
    {
        filters.Insert(0, ctx => (ctx.Update.Message?.Chat ?? ctx.Update.CallbackQuery?.Message?.Chat) is { } chat && types.Contains(chat.Type));
        return this;
    }

    /// <summary>Any other condition on the update.</summary>
    public Route When(Func<BotContext, bool> filter)
    {
        filters.Add(filter);
        return this;
    }

    public bool Matches(BotContext ctx) => filters.TrueForAll(f => f(ctx));
}
