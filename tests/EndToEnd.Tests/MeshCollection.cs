using Mesh.Testing.EndToEnd;

namespace Mesh.EndToEnd.Tests;

/// <summary>One running mesh for every end-to-end test (starting it costs tens of seconds).</summary>
[CollectionDefinition(Name)]
public sealed class MeshCollection : ICollectionFixture<MeshFixture>
{
    public const string Name = "mesh";
}
