using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Tandem.Config.Native;

/// <summary>
/// Turns TOML text into a <see cref="TomlTableNode"/> tree that remembers where every key and value
/// was written. Tomlyn parses and validates the syntax; this class only assembles the tables, so
/// that a schema error can name a line and column.
/// </summary>
internal static class TomlTreeBuilder
{
    /// <summary>Tomlyn's own nesting limit; deeper input is rejected before it can exhaust the stack.</summary>
    public const int MaxDepth = 64;

    /// <summary>Parses <paramref name="text"/>; returns null after reporting when it is not valid TOML.</summary>
    /// <param name="text">The TOML text.</param>
    /// <param name="error">Receives each syntax error with its location.</param>
    /// <returns>The root table, or null.</returns>
    public static TomlTableNode? Build(string text, Action<TomlLocation, string> error)
    {
        DocumentSyntax doc;
        try
        {
            doc = SyntaxParser.Parse(text, new TomlSerializerOptions { MaxDepth = MaxDepth }, "tandem.toml", validate: true);
        }
        catch (TomlException e)
        {
            var where = e.Line is > 0 ? new TomlLocation(e.Line.Value, Math.Max(0, e.Column ?? 0)) : FindTooDeep(text);
            error(where, where == TomlLocation.None || e.Line is > 0 ? StripLocation(e.Message) : $"arrays and inline tables are nested more than {MaxDepth} deep here");
            return null;
        }
#pragma warning disable CA1031 // a bug in the parser must become a diagnostic, never a crash of the daemon or the CLI
        catch (Exception e)
#pragma warning restore CA1031
        {
            error(TomlLocation.None, $"the TOML parser failed on this input ({e.GetType().Name}: {e.Message})");
            return null;
        }

        if (doc.HasErrors)
        {
            // Only the first: after a syntax error the parser resynchronises on guesses, and what it
            // reports next is usually the same mistake seen again.
            foreach (var d in doc.Diagnostics)
            {
                if (d.Kind == DiagnosticMessageKind.Error)
                {
                    error(Loc(d.Span), d.Message);
                    break;
                }
            }
            return null;
        }

        try
        {
            var builder = new Assembler(error);
            return builder.Assemble(doc);
        }
#pragma warning disable CA1031 // as above: a surprising tree shape is reported, not thrown
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            error(TomlLocation.None, $"the TOML document could not be assembled ({e.GetType().Name}: {e.Message})");
            return null;
        }
    }

    /// <summary>
    /// Where brackets and braces first nest deeper than <see cref="MaxDepth"/>, skipping strings and
    /// comments; Tomlyn's depth error carries no position.
    /// </summary>
    internal static TomlLocation FindTooDeep(string text)
    {
        int depth = 0, line = 1, lineStart = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\n':
                    line++;
                    lineStart = i + 1;
                    break;
                case '#':
                    while (i + 1 < text.Length && text[i + 1] != '\n')
                    {
                        i++;
                    }
                    break;
                case '"' or '\'':
                    var triple = i + 2 < text.Length && text[i + 1] == c && text[i + 2] == c;
                    i += triple ? 3 : 1;
                    while (i < text.Length)
                    {
                        if (text[i] == '\\' && c == '"')
                        {
                            i += 2;
                            continue;
                        }
                        if (text[i] == '\n')
                        {
                            if (!triple)
                            {
                                break;
                            }
                            line++;
                            lineStart = i + 1;
                        }
                        if (text[i] == c && (!triple || (i + 2 < text.Length && text[i + 1] == c && text[i + 2] == c)))
                        {
                            i += triple ? 2 : 0;
                            break;
                        }
                        i++;
                    }
                    if (i < text.Length && text[i] == '\n')
                    {
                        i--; // let the newline case count it
                    }
                    break;
                case '[' or '{':
                    if (++depth > MaxDepth)
                    {
                        return new TomlLocation(line, i - lineStart + 1);
                    }
                    break;
                case ']' or '}':
                    depth = Math.Max(0, depth - 1);
                    break;
            }
        }
        return TomlLocation.None;
    }

    public static TomlLocation Loc(SourceSpan span) => new(span.Start.Line + 1, span.Start.Column + 1);

    private static string StripLocation(string message)
    {
        // Tomlyn prefixes "file(line,col) : error : "; the diagnostic carries the location already.
        var i = message.IndexOf(": error : ", StringComparison.Ordinal);
        return i >= 0 ? message[(i + ": error : ".Length)..] : message;
    }

    private sealed class Assembler(Action<TomlLocation, string> error)
    {
        private bool _failed;

        public TomlTableNode? Assemble(DocumentSyntax doc)
        {
            var root = new TomlTableNode(new TomlLocation(1, 1), TomlTableOrigin.Header);
            foreach (var kv in doc.KeyValues)
            {
                AddKeyValue(root, kv, 0);
            }
            foreach (var table in doc.Tables)
            {
                if (table.Name is null)
                {
                    Fail(Loc(table.Span), "a table header without a name");
                    continue;
                }
                var parts = KeyParts(table.Name);
                var target = table is TableArraySyntax ? OpenArrayElement(root, parts, Loc(table.Name.Span)) : OpenTable(root, parts, Loc(table.Name.Span));
                if (target is null)
                {
                    continue;
                }
                foreach (var kv in table.Items)
                {
                    AddKeyValue(target, kv, 0);
                }
            }
            return _failed ? null : root;
        }

        private void Fail(TomlLocation where, string message)
        {
            _failed = true;
            error(where, message);
        }

        private static List<(string Name, TomlLocation Where)> KeyParts(KeySyntax key)
        {
            var parts = new List<(string, TomlLocation)> { (KeyName(key.Key), Loc(key.Key?.Span ?? key.Span)) };
            foreach (var dot in key.DotKeys)
            {
                parts.Add((KeyName(dot.Key), Loc(dot.Key?.Span ?? dot.Span)));
            }
            return parts;
        }

        private static string KeyName(BareKeyOrStringValueSyntax? key) => key switch
        {
            BareKeySyntax bare => bare.Key?.Text ?? "",
            StringValueSyntax s => s.Value ?? "",
            _ => "",
        };

        /// <summary>Walks the leading parts of a header, creating implicit tables; an array of tables contributes its last element.</summary>
        private TomlTableNode? Walk(TomlTableNode table, List<(string Name, TomlLocation Where)> parts, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var (name, where) = parts[i];
                switch (table.Find(name))
                {
                    case null:
                        var created = new TomlTableNode(where, TomlTableOrigin.Implicit);
                        table.Add(name, where, created);
                        table = created;
                        break;
                    case TomlTableNode t when t.Origin != TomlTableOrigin.Inline:
                        table = t;
                        break;
                    case TomlTableArrayNode a when a.Tables.Count > 0:
                        table = a.Tables[^1];
                        break;
                    default:
                        Fail(where, $"'{name}' is already a value, not a table");
                        return null;
                }
            }
            return table;
        }

        private TomlTableNode? OpenTable(TomlTableNode root, List<(string Name, TomlLocation Where)> parts, TomlLocation header)
        {
            var parent = Walk(root, parts, parts.Count - 1);
            if (parent is null)
            {
                return null;
            }
            var (name, where) = parts[^1];
            switch (parent.Find(name))
            {
                case null:
                    var created = new TomlTableNode(header, TomlTableOrigin.Header);
                    parent.Add(name, where, created);
                    return created;
                case TomlTableNode { Origin: TomlTableOrigin.Implicit } t:
                    t.Origin = TomlTableOrigin.Header;
                    return t;
                default:
                    Fail(where, $"the table '{name}' is defined twice");
                    return null;
            }
        }

        private TomlTableNode? OpenArrayElement(TomlTableNode root, List<(string Name, TomlLocation Where)> parts, TomlLocation header)
        {
            var parent = Walk(root, parts, parts.Count - 1);
            if (parent is null)
            {
                return null;
            }
            var (name, where) = parts[^1];
            TomlTableArrayNode array;
            switch (parent.Find(name))
            {
                case null:
                    array = new TomlTableArrayNode(header);
                    parent.Add(name, where, array);
                    break;
                case TomlTableArrayNode a:
                    array = a;
                    break;
                default:
                    Fail(where, $"'{name}' is already defined and is not an array of tables");
                    return null;
            }
            var element = new TomlTableNode(header, TomlTableOrigin.ArrayElement);
            array.Tables.Add(element);
            return element;
        }

        private void AddKeyValue(TomlTableNode table, KeyValueSyntax kv, int depth)
        {
            if (kv.Key is null || kv.Value is null)
            {
                Fail(Loc(kv.Span), "an incomplete key = value line");
                return;
            }
            var parts = KeyParts(kv.Key);
            for (var i = 0; i < parts.Count - 1; i++)
            {
                var (name, where) = parts[i];
                switch (table.Find(name))
                {
                    case null:
                        var created = new TomlTableNode(where, TomlTableOrigin.Dotted);
                        table.Add(name, where, created);
                        table = created;
                        break;
                    case TomlTableNode { Origin: TomlTableOrigin.Dotted or TomlTableOrigin.Implicit } t:
                        table = t;
                        break;
                    default:
                        Fail(where, $"'{name}' is already defined and cannot be extended with a dotted key");
                        return;
                }
            }
            var (last, lastWhere) = parts[^1];
            if (table.Find(last) is not null)
            {
                Fail(lastWhere, $"the key '{last}' is defined twice");
                return;
            }
            var value = Convert(kv.Value, depth);
            if (value is not null)
            {
                table.Add(last, lastWhere, value);
            }
        }

        private TomlNode? Convert(ValueSyntax value, int depth)
        {
            var where = Loc(value.Span);
            if (depth > MaxDepth)
            {
                Fail(where, $"values are nested more than {MaxDepth} deep");
                return null;
            }
            switch (value)
            {
                case StringValueSyntax s:
                    return new TomlScalar(where, s.Value ?? "");
                case IntegerValueSyntax n:
                    return new TomlScalar(where, n.Value);
                case FloatValueSyntax f:
                    return new TomlScalar(where, f.Value);
                case BooleanValueSyntax b:
                    return new TomlScalar(where, b.Value);
                case DateTimeValueSyntax d:
                    return new TomlScalar(where, d.Value);
                case ArraySyntax a:
                    var array = new TomlArrayNode(where);
                    foreach (var item in a.Items)
                    {
                        if (item.Value is null)
                        {
                            continue;
                        }
                        if (Convert(item.Value, depth + 1) is { } node)
                        {
                            array.Items.Add(node);
                        }
                    }
                    return array;
                case InlineTableSyntax t:
                    var table = new TomlTableNode(where, TomlTableOrigin.Dotted);
                    foreach (var item in t.Items)
                    {
                        if (item.KeyValue is not null)
                        {
                            AddKeyValue(table, item.KeyValue, depth + 1);
                        }
                    }
                    table.Origin = TomlTableOrigin.Inline;
                    return table;
                default:
                    Fail(where, $"an unsupported value ({value.GetType().Name})");
                    return null;
            }
        }
    }
}
