namespace Tandem.Fencing;

/// <summary>The answer of <see cref="TakeoverRule"/>.</summary>
/// <param name="Step">What to do.</param>
/// <param name="Basis">Why: the basis of an allowed takeover, <see cref="TakeoverBasis.Fenced"/> for a fencing to try, <see cref="TakeoverBasis.NoDevice"/> for a refusal.</param>
public readonly record struct TakeoverRuling(TakeoverStep Step, TakeoverBasis Basis);
