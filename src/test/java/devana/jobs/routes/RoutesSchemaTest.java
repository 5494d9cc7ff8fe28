package devana.jobs.routes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every route file the app loads holds to the Camel YAML DSL's own JSON Schema, the one camel-yaml-dsl ships
 * ({@code schema/camelYamlDsl.json}) and the editors (Kaoto, the VS Code Camel tooling) read: a file that passes opens
 * there, and a step or option the DSL does not know is caught here rather than in a team's editor.
 */
class RoutesSchemaTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final JsonSchema DSL = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4)
            .getSchema(SchemaLocation.of("classpath:schema/camelYamlDsl.json"));

    @Test
    void every_route_file_validates_against_the_yaml_dsl_schema() throws IOException {
        List<Path> files = routeFiles();
        assertThat(files).as("the route files under routes/").hasSizeGreaterThanOrEqualTo(5);
        for (Path file : files) {
            Set<ValidationMessage> findings = DSL.validate(YAML.readTree(file.toFile()));
            assertThat(findings).as("%s against schema/camelYamlDsl.json", file).isEmpty();
        }
    }

    @Test
    void the_schema_refuses_a_step_or_an_option_the_dsl_does_not_know() throws IOException {
        JsonNode unknownStep = YAML.readTree("- route:\n    from:\n      uri: timer:x\n      steps:\n        - sendItSomewhere: {}\n");
        JsonNode unknownOption = YAML.readTree("- route:\n    from:\n      uri: timer:x\n      steps:\n        - split:\n            simple: ${body}\n            stopOnExceptions: true\n            steps: []\n");
        assertThat(DSL.validate(unknownStep)).isNotEmpty();
        assertThat(DSL.validate(unknownOption)).isNotEmpty();
    }

    private static List<Path> routeFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).sorted().toList();
        }
    }
}
