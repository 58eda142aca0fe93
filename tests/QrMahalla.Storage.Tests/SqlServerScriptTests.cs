using Microsoft.SqlServer.TransactSql.ScriptDom;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Storage.Tests;

/// <summary>
/// No SQL Server exists on this machine, so the SQL Server scripts are checked as far as a parser can: each script,
/// and each query text it stores, parses as T-SQL, and together they name every key the providers load.
/// </summary>
public sealed class SqlServerScriptTests
{
    [Fact]
    public void Each_script_parses_as_a_whole()
    {
        var scripts = SchemaInstaller.Scripts(StorageProvider.SqlServer).ToList();

        Assert.NotEmpty(scripts);
        foreach (var script in scripts)
        {
            Assert.Contains("CREATE TABLE", script, StringComparison.OrdinalIgnoreCase);
            Assert.Empty(Parse(script));
        }
    }

    [Fact]
    public void Every_stored_query_parses_and_every_provider_key_is_stored()
    {
        var queries = SchemaInstaller.Scripts(StorageProvider.SqlServer).SelectMany(StoredQueries).ToList();

        foreach (var (key, text) in queries)
        {
            Assert.True(Parse(text).Count == 0, $"{key}: {string.Join("; ", Parse(text).Select(e => e.Message))}");
        }

        Assert.Equal(
            SchemaKeys.Provider.Concat(SchemaKeys.Project).Order(StringComparer.Ordinal),
            queries.Select(q => q.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void An_unreachable_sql_server_stops_start_up_with_a_sentence_naming_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SchemaInstaller.ApplyTo(
            StorageProvider.SqlServer, "Server=127.0.0.1,1;User ID=sa;Password=x;Connect Timeout=3;Encrypt=false", "Storage:ConnectionString"));

        Assert.StartsWith("Storage:ConnectionString does not reach a usable SqlServer database", error.Message);
    }

    private static IList<ParseError> Parse(string sql)
    {
        new TSql160Parser(initialQuotedIdentifiers: true).Parse(new StringReader(sql), out var errors);
        return errors;
    }

    /// <summary>The (key, text) pairs of every INSERT INTO OrleansQuery ... VALUES in a script.</summary>
    private static IEnumerable<(string Key, string Text)> StoredQueries(string script)
    {
        var fragment = new TSql160Parser(initialQuotedIdentifiers: true).Parse(new StringReader(script), out _);
        var visitor = new StoredQueryVisitor();
        fragment.Accept(visitor);
        return visitor.Queries;
    }

    private sealed class StoredQueryVisitor : TSqlFragmentVisitor
    {
        public List<(string Key, string Text)> Queries { get; } = [];

        public override void Visit(InsertStatement node)
        {
            if (node.InsertSpecification.Target is NamedTableReference { SchemaObject.BaseIdentifier.Value: "OrleansQuery" }
                && node.InsertSpecification.InsertSource is ValuesInsertSource values)
            {
                foreach (var row in values.RowValues)
                {
                    Queries.Add((((StringLiteral)row.ColumnValues[0]).Value, ((StringLiteral)row.ColumnValues[1]).Value));
                }
            }
        }
    }
}
