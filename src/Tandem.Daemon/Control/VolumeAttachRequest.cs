namespace Tandem.Daemon.Control;

/// <summary>The optional body of <c>POST /v1/volumes/{name}/attach</c>.</summary>
/// <param name="Link">Whether to point the configured <c>device</c> at the attached device; null means yes.</param>
public sealed record VolumeAttachRequest(bool? Link = null);
