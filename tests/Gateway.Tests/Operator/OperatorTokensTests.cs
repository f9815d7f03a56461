using Mesh.Gateway.Operator;
using Microsoft.Extensions.Options;

namespace Mesh.Gateway.Tests.Operator;

public sealed class OperatorTokensTests
{
    static readonly OperatorTokens Tokens = new(Options.Create(new OperatorOptions
    {
        OperatorTokens = ["first-operator-token-0123", "second-operator-token-456"],
    }));

    [Theory]
    [InlineData(null, OperatorCredential.Missing)]
    [InlineData("", OperatorCredential.Missing)]
    [InlineData("Basic dXNlcjpwYXNz", OperatorCredential.Malformed)]
    [InlineData("Bearer", OperatorCredential.Malformed)]
    [InlineData("Bearer ", OperatorCredential.Malformed)]
    [InlineData("Bearer two words", OperatorCredential.Malformed)]
    [InlineData("Bearer first-operator-token-012", OperatorCredential.Wrong)]
    [InlineData("Bearer first-operator-token-0123x", OperatorCredential.Wrong)]
    [InlineData("Bearer first-operator-token-0123", OperatorCredential.Valid)]
    [InlineData("bearer second-operator-token-456", OperatorCredential.Valid)]
    public void Authorization_header_is_classified(string? header, OperatorCredential expected) =>
        Assert.Equal(expected, Tokens.Check(header));

    [Fact]
    public void No_configured_tokens_accept_nothing() =>
        Assert.Equal(OperatorCredential.Wrong, new OperatorTokens(Options.Create(new OperatorOptions())).Check("Bearer anything-at-all-0123456"));
}
