namespace Tandem.Fuzz;

/// <summary>Finds every <see cref="IFuzzTarget"/> in this assembly.</summary>
public static class FuzzTargets
{
    /// <summary>All targets, by name.</summary>
    public static IReadOnlyDictionary<string, IFuzzTarget> All { get; } =
        typeof(FuzzTargets).Assembly.GetTypes()
            .Where(t => typeof(IFuzzTarget).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
            .Select(t => (IFuzzTarget)Activator.CreateInstance(t)!)
            .ToDictionary(t => t.Name, StringComparer.Ordinal);
}
