namespace Tandem.Config.Classic;

/// <summary>A whitespace-separated word of a line, with its 1-based line and column.</summary>
/// <param name="Text">The word.</param>
/// <param name="Line">The 1-based line.</param>
/// <param name="Column">The 1-based column of its first character.</param>
internal readonly record struct HbToken(string Text, int Line, int Column);
