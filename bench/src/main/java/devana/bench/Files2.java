package devana.bench;

import java.io.IOException;
import java.nio.file.Path;

/** File helpers shared by the scenario and the JMH harness. */
public final class Files2 {

    private Files2() {
    }

    public static void deleteTree(Path dir) throws IOException {
        Scenario.deleteTree(dir);
    }
}
