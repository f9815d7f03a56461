var builder = DistributedApplication.CreateBuilder(args);

var redis = builder.AddLocalRedis("redis");
var postgres = builder.AddLocalPostgres("postgres");
var billingDb = postgres.AddDatabase("billingdb");
var supportDb = postgres.AddDatabase("supportdb");

builder.Build().Run();
