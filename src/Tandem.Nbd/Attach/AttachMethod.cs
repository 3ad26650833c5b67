namespace Tandem.Nbd.Attach;

/// <summary>How an export becomes a block device on this machine.</summary>
public enum AttachMethod
{
    /// <summary>The kernel NBD driver when loaded (/sys/module/nbd), else nbdfuse + loop.</summary>
    Auto,

    /// <summary>The kernel NBD client (<c>nbd-client</c>, /dev/nbdX).</summary>
    KernelNbd,

    /// <summary><c>nbdfuse</c> in a private mount namespace, plus a loop device on its file.</summary>
    FuseLoop,
}
