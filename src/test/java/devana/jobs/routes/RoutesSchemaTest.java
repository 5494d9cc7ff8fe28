package devana.jobs.routes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * Every route file the app loads, and every Kamelet's template, holds to the Camel YAML DSL's own JSON Schema, the one camel-yaml-dsl ships
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

    /**
     * A Kamelet's template is a route template (its beans and its from) inside a Kubernetes resource: each is validated as
     * the routeTemplate of a route file, its parameters the Kamelet's properties.
     */
    @Test
    void every_kamelet_template_validates_against_the_yaml_dsl_schema() throws IOException {
        List<Path> files = files(Path.of("kamelets"), ".kamelet.yaml");
        assertThat(files).as("the Kamelets under kamelets/").hasSizeGreaterThanOrEqualTo(2);
        for (Path file : files) {
            JsonNode kamelet = YAML.readTree(file.toFile());
            ObjectNode template = YAML.createObjectNode();
            template.put("id", kamelet.path("metadata").path("name").asText());
            ArrayNode parameters = template.putArray("parameters");
            kamelet.path("spec").path("definition").path("properties").fieldNames()
                    .forEachRemaining(name -> parameters.addObject().put("name", name));
            kamelet.path("spec").path("template").fields().forEachRemaining(field -> template.set(field.getKey(), field.getValue()));
            ArrayNode routes = YAML.createArrayNode();
            routes.addObject().set("routeTemplate", template);
            Set<ValidationMessage> findings = DSL.validate(routes);
            assertThat(findings).as("%s's template against schema/camelYamlDsl.json", file).isEmpty();
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
        return files(Path.of("routes"), ".camel.yaml");
    }

    private static List<Path> files(Path folder, String ending) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.getFileName().toString().endsWith(ending)).sorted().toList();
        }
    }
}
