namespace Mesh.Bot.Conversations;

/// <summary>
/// A step of a conversation flow, declared as a field of the flow's class:
/// <c>static readonly Step Subject = new("support.subject")</c>. The name is what Redis keeps.
/// </summary>
public sealed record Step(string Name)
{
    /// <summary>The flow the step belongs to: the part of the name before the first dot.</summary>
    public string Flow => Name.Split('.', 2)[0];

    public override string ToString() => Name;
}
