namespace Tandem.Config.Classic;

/// <summary>The codes one reader uses for problems common to every classic file.</summary>
/// <param name="Missing">The file does not exist or cannot be read.</param>
/// <param name="LineTooLong">A line is longer than <see cref="HbText.MaxLineLength"/>.</param>
/// <param name="BadText">A line holds a NUL byte, a control character or invalid UTF-8.</param>
/// <param name="TooManyErrors">The error cap was reached.</param>
internal sealed record HbTextCodes(string Missing, string LineTooLong, string BadText, string TooManyErrors);
