using Mesh.Testing;

[assembly: AssemblyFixture(typeof(RedisServerFixture))]
