// Tandem runs on Linux only: flock, SO_PEERCRED, Unix file modes, network namespaces.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
