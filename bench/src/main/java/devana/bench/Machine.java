package devana.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the figures were measured on. */
final class Machine {

    private Machine() {
    }

    static String load() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    static String describe() {
        return String.format("%d CPUs (nproc), %s memory, CPU %s, Java %s (%s), %s",
                Runtime.getRuntime().availableProcessors(), memTotal(), cpuModel(),
                System.getProperty("java.version"), System.getProperty("java.vm.name"), System.getProperty("os.name")
                        + " " + System.getProperty("os.version"));
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String memTotal() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .findFirst().map(l -> String.format("%.1f GiB", Long.parseLong(l.replaceAll("[^0-9]", "")) / 1048576.0))
                    .orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
