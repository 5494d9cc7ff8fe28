package devana.jobs.config;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.camel.main.MainConfigurationProperties;

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

    /**
     * Development mode: Camel Main watches the working directory's routes/ and, when a route file is saved, replaces
     * the routes of that file by their new version (by route id; the other files' routes keep running).
     *
     * @return null, or why not (the routes come from the jar: there is no routes/ folder here to watch)
     */
    public static String reloadRoutes(MainConfigurationProperties main) {
        if (!Files.isDirectory(Path.of("routes"))) {
            return "--dev reloads the route files of ./routes/, and there is no routes/ folder in "
                    + Path.of("").toAbsolutePath() + " (the routes come from the jar)";
        }
        main.withRoutesReloadEnabled(true)
                .withRoutesReloadDirectory("routes")
                .withRoutesReloadPattern("*.camel.yaml")
                .withRoutesReloadRemoveAllRoutes(false);
        return null;
    }

    /** The route files, as Camel Main's routes include pattern takes them. */
    public static String routes() {
        return Files.isDirectory(Path.of("routes")) ? "file:routes/*.camel.yaml" : "classpath:routes/*.camel.yaml";
    }
}
