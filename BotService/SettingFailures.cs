using Microsoft.Extensions.Options;

namespace Mesh.Bot;

/// <summary>What a settings validator refuses, one message per rule broken, each starting with its key: <c>Section:Key rule.</c></summary>
internal sealed class SettingFailures(string section)
{
    readonly List<string> failures = [];

    /// <summary>Records <paramref name="rule"/> against <paramref name="key"/> unless <paramref name="ok"/>.</summary>
    public void Require(bool ok, string key, string rule)
    {
        if (!ok)
        {
            failures.Add($"{section}:{key} {rule}.");
        }
    }

    public ValidateOptionsResult Result => failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
}
