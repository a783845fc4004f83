using System;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace Hooks.Generator.Emit;

/// <summary>Writes C# source line by line, keeping track of indentation and braces.</summary>
internal sealed class SourceWriter
{
    private const int IndentSize = 4;
    private readonly StringBuilder _builder = new();
    private int _indent;

    public SourceWriter WriteLine(string line = "")
    {
        if (line.Length > 0)
        {
            _builder.Append(' ', _indent * IndentSize);
            _builder.Append(line);
        }
        _builder.Append('\n');
        return this;
    }

    /// <summary>Writes every line of a block of text at the current indentation.</summary>
    public SourceWriter WriteLines(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            WriteLine(line.TrimEnd('\r'));
        }
        return this;
    }

    public SourceWriter OpenBlock(string? header = null)
    {
        if (header is not null)
        {
            WriteLine(header);
        }
        WriteLine("{");
        _indent++;
        return this;
    }

    public SourceWriter CloseBlock(string suffix = "")
    {
        if (_indent == 0)
        {
            throw new InvalidOperationException("No block is open.");
        }
        _indent--;
        return WriteLine("}" + suffix);
    }

    public SourceText ToSourceText()
    {
        if (_indent != 0)
        {
            throw new InvalidOperationException("A block is still open.");
        }
        return SourceText.From(_builder.ToString(), Encoding.UTF8);
    }

    public override string ToString() => _builder.ToString();
}
