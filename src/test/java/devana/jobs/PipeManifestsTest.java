package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/kamelets: the Kamelets and the Pipe example as Camel K receives them (rendered with the command its
 * kustomization gives), held against the Kamelets: the Pipe's source is the repository's own devana-jobs-source, it sets
 * every property the Kamelet requires and none it does not know, and a secret reaches it only as a placeholder of a key
 * of the Secret its mount trait mounts. Skipped with its reason when kubectl is not on the PATH, unless
 * REQUIRE_SERVICES=1 (CI), where it fails.
 */
class PipeManifestsTest {

    static final String RENDER = "kubectl kustomize --load-restrictor LoadRestrictionsNone deploy/kamelets";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** A secret as the Pipe gives one: RAW() of a placeholder, so that the key's characters reach the Kamelet as they are. */
    private static final Pattern PLACEHOLDER = Pattern.compile("^RAW\\(\\{\\{([A-Za-z0-9._-]+)}}\\)$");

    @TempDir
    static Path work;

    private static List<JsonNode> documents;

    @BeforeAll
    static void render() throws Exception {
        if (!DeployManifestsTest.onPath("kubectl")) {
            return;
        }
        Path out = DeployManifestsTest.kustomize(RENDER, work);
        documents = new ArrayList<>();
        YAML.readerFor(JsonNode.class).readValues(out.toFile()).forEachRemaining(node -> documents.add((JsonNode) node));
    }

    @BeforeEach
    void kubectlRendered() {
        if (documents == null && "1".equals(System.getenv("REQUIRE_SERVICES"))) {
            fail("REQUIRE_SERVICES=1 but kubectl is not on the PATH: deploy/kamelets cannot be rendered (" + RENDER + ")");
        }
        assumeTrue(documents != null, "kubectl is not on the PATH: deploy/kamelets is not rendered, so not checked"
                + " (set REQUIRE_SERVICES=1 to fail instead)");
    }

    @Test
    void the_kamelets_are_the_repositorys_own_files() throws Exception {
        for (String name : List.of("devana-jobs-source", "devana-jobs-retry-action")) {
            JsonNode rendered = named("Kamelet", name);
            JsonNode file = YAML.readTree(Path.of("kamelets", name + ".kamelet.yaml").toFile());
            assertThat(rendered.path("spec")).as(name).isEqualTo(file.path("spec"));
        }
    }

    @Test
    void the_pipe_sets_every_property_its_source_requires_and_none_it_does_not_know() throws Exception {
        JsonNode pipe = one("Pipe");
        JsonNode source = pipe.path("spec").path("source");
        assertThat(source.path("ref").path("kind").asText()).isEqualTo("Kamelet");
        JsonNode kamelet = named("Kamelet", source.path("ref").path("name").asText());
        JsonNode definition = kamelet.path("spec").path("definition");
        Set<String> given = new TreeSet<>();
        source.path("properties").fieldNames().forEachRemaining(given::add);
        Set<String> known = new TreeSet<>();
        definition.path("properties").fieldNames().forEachRemaining(known::add);
        assertThat(known).containsAll(given);
        definition.path("required").forEach(required -> assertThat(given).contains(required.asText()));
        // a database that outlives the pod: what was announced and retried is not repeated by the next one
        assertThat(source.path("properties").path("databaseUrl").asText()).startsWith("jdbc:postgresql:");
        assertThat(pipe.path("spec").path("sink").path("ref").path("name").asText()).startsWith("kafka");
        assertThat(pipe.path("spec").path("sink").path("properties").path("topic").asText()).isNotBlank();
    }

    @Test
    void a_secret_reaches_the_pipe_only_as_a_placeholder_of_the_mounted_secret_which_holds_placeholders() {
        JsonNode pipe = one("Pipe");
        JsonNode secret = one("Secret");
        String secretName = secret.path("metadata").path("name").asText();
        assertThat(pipe.path("spec").path("integration").path("traits").path("mount").path("configs").toString())
                .contains("secret:" + secretName);
        JsonNode definition = named("Kamelet", "devana-jobs-source").path("spec").path("definition").path("properties");
        pipe.path("spec").path("source").path("properties").fields().forEachRemaining(property -> {
            if ("password".equals(definition.path(property.getKey()).path("format").asText())) {
                Matcher placeholder = PLACEHOLDER.matcher(property.getValue().asText());
                assertThat(placeholder.matches()).as(property.getKey() + " is a placeholder").isTrue();
                assertThat(secret.path("stringData").has(placeholder.group(1))).as(placeholder.group(1) + " in the Secret").isTrue();
            }
        });
        secret.path("stringData").forEach(value -> assertThat(value.asText()).isEqualTo("REPLACE-ME"));
    }

    private static JsonNode one(String kind) {
        List<JsonNode> found = documents.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
        assertThat(found).as("the rendered %s", kind).hasSize(1);
        return found.get(0);
    }

    private static JsonNode named(String kind, String name) {
        return documents.stream().filter(d -> kind.equals(d.path("kind").asText())
                && name.equals(d.path("metadata").path("name").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " rendered"));
    }
}
