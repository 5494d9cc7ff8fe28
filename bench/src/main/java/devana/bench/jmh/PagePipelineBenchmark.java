package devana.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One poll cycle of one 100-job page through the shipped routes: parse (PollPlanner), split, dispatch
 * by status and type, change detection (JobLedger), the database transaction per changed job
 * (state, completion, retry claim) and its outbox row. Single-threaded, as the poll route runs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PagePipelineBenchmark {

    @Param({"h2", "postgresql"})
    public String db;

    @Param({"steady", "new", "unchanged"})
    public String mix;

    private AppUnderBench app;
    private PageFeed feed;
    private volatile String page;

    @Setup(Level.Trial)
    public void boot() throws Exception {
        feed = new PageFeed(mix, 42);
        app = AppUnderBench.boot(db, () -> page);
        page = feed.next();
        app.pollOnce();
        if (app.count("job_state") < 100) {
            throw new IllegalStateException("the first page was not recorded");
        }
    }

    @Setup(Level.Invocation)
    public void nextPage() {
        page = feed.next();
    }

    @Benchmark
    public void pollOnePage() {
        app.pollOnce();
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        System.out.printf("bench-check db=%s mix=%s job_state=%d job_events=%d job_completions=%d job_retries=%d%n", db, mix,
                app.count("job_state"), app.count("job_events"), app.count("job_completions"), app.count("job_retries"));
        System.out.println("bench-check active rows: " + app.activeRows());
        app.close();
    }
}
