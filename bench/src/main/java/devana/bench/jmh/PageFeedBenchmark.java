package devana.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** What building the next page costs the benchmark itself (counted in the CPU and allocation figures of the pipeline). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PageFeedBenchmark {

    @Param({"steady", "new", "unchanged"})
    public String mix;

    private PageFeed feed;

    @Setup
    public void create() {
        feed = new PageFeed(mix, 42);
    }

    @Benchmark
    public String nextPage() {
        return feed.next();
    }
}
