using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Tandem.Cli.Commands;

/// <summary>
/// Adds what a man page has and System.CommandLine's help lacks: the exit codes and examples of
/// each command, printed after the generated usage and options.
/// </summary>
internal sealed class HelpSections : SynchronousCommandLineAction
{
    private readonly HelpAction _inner;
    private readonly Dictionary<Command, string> _sections = [];

    private HelpSections(HelpAction inner)
    {
        _inner = inner;
    }

    public override bool ClearsParseErrors => true;

    /// <summary>Installs the extended help on a root command.</summary>
    public static HelpSections Install(RootCommand root)
    {
        var option = root.Options.OfType<HelpOption>().Single();
        var sections = new HelpSections((HelpAction)option.Action!);
        option.Action = sections;
        return sections;
    }

    /// <summary>Sets the text printed after a command's generated help.</summary>
    public void Add(Command command, string text) => _sections[command] = text;

    public override int Invoke(ParseResult parseResult)
    {
        var rc = _inner.Invoke(parseResult);
        if (_sections.TryGetValue(parseResult.CommandResult.Command, out var text))
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(text.TrimEnd());
            output.WriteLine();
        }
        return rc;
    }
}
