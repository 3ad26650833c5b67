using Tandem.Fuzz;

// Usage: Tandem.Fuzz TARGET [FILE...]   (stdin when no file). Exit 0 when every input was handled.
if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Tandem.Fuzz TARGET [FILE...]; targets: {string.Join(", ", FuzzTargets.All.Keys.Order())}");
    return 2;
}
if (args.Length == 1)
{
    using var stdin = Console.OpenStandardInput();
    using var ms = new MemoryStream();
    stdin.CopyTo(ms);
    target.Run(ms.ToArray());
}
foreach (var file in args.Skip(1))
{
    target.Run(File.ReadAllBytes(file));
}
return 0;
