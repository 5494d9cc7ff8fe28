package devana.bench.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * CPU time per operation, read in the benchmark's own JVM around each iteration:
 * {@code cpu.process.norm} is all of the process (benchmark threads, database threads, GC, JIT) and
 * {@code cpu.worker.norm} the benchmark threads alone (the pipeline runs in the calling thread).
 */
public class CpuTimeProfiler implements InternalProfiler {

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private long processBefore;
    private long workersBefore;

    @Override
    public String getDescription() {
        return "CPU time per operation: whole process and benchmark threads";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        processBefore = processCpuNanos();
        workersBefore = workerCpuNanos();
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        long ops = Math.max(1, result.getMetadata().getAllOps());
        double process = (processCpuNanos() - processBefore) / 1e3 / ops;
        double workers = (workerCpuNanos() - workersBefore) / 1e3 / ops;
        return List.of(new ScalarResult("cpu.process.norm", process, "us/op", AggregationPolicy.AVG),
                new ScalarResult("cpu.worker.norm", workers, "us/op", AggregationPolicy.AVG));
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private long workerCpuNanos() {
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().contains("jmh-worker")) {
                long cpu = threads.getThreadCpuTime(info.getThreadId());
                total += Math.max(0, cpu);
            }
        }
        return total;
    }
}
