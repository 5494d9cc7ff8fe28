package devana.jobs.config;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the app reads its configuration and its routes from: the working directory's
 * {@code application.properties} and {@code routes/} when present there (so a team edits them without a
 * rebuild), else the copies packaged in the jar. Every command reads them from here.
 */
public final class Locations {

    private Locations() {
    }

    /** The location of application.properties, as Camel's property placeholder takes it. */
    public static String properties() {
        return Files.isRegularFile(Path.of("application.properties"))
                ? "file:application.properties" : "classpath:application.properties";
    }

    /** The route files, as Camel Main's routes include pattern takes them. */
    public static String routes() {
        return Files.isDirectory(Path.of("routes")) ? "file:routes/*.camel.yaml" : "classpath:routes/*.camel.yaml";
    }
}
