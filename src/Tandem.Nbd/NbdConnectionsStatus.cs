namespace Tandem.Nbd;

/// <summary>The two listeners of an export in status; the Unix socket has its own slots so TCP cannot starve it.</summary>
/// <param name="Unix">The Unix socket's listener.</param>
/// <param name="Tcp">The TCP listener (all zero when the export does not listen on TCP).</param>
public sealed record NbdConnectionsStatus(NbdListenerStatus Unix, NbdListenerStatus Tcp);
