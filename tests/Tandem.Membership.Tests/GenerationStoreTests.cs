using Xunit;

namespace Tandem.Membership.Tests;

public sealed class GenerationStoreTests
{
    [Fact]
    public void Increases_at_every_start_and_survives_a_corrupt_file()
    {
        var dir = Directory.CreateTempSubdirectory("tandem-gen-").FullName;
        try
        {
            var a = GenerationStore.Advance(dir);
            var b = GenerationStore.Advance(dir);
            Assert.Equal(1UL, a);
            Assert.Equal(2UL, b);
            File.WriteAllText(Path.Combine(dir, GenerationStore.FileName), "garbage");
            var c = GenerationStore.Advance(dir);
            Assert.True(c > b, $"after a corrupt file the generation went from {b} to {c}");
            Assert.Equal(c + 1, GenerationStore.Advance(dir));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
