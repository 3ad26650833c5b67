using Tandem.Core.Volumes;

namespace Tandem.Nbd;

/// <summary>One named export: a volume offered to NBD clients.</summary>
/// <param name="Name">The export name clients ask for (the resource name, for example <c>r0</c>).</param>
/// <param name="Volume">The volume; the server does not dispose it.</param>
/// <param name="Description">A human-readable description (NBD_INFO_DESCRIPTION), or null.</param>
public sealed record NbdExport(string Name, IBlockVolume Volume, string? Description = null);
