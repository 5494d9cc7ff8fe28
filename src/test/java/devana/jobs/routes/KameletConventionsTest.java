package devana.jobs.routes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Kamelets of kamelets/ follow the conventions of the camel-kamelets catalogue, so that Camel K, Camel JBang, Kaoto
 * and the catalogue's own tooling read them as they read the catalogue's: file named after the Kamelet, its kind in a
 * label and at the end of its name and title, the catalogue's annotations, every property typed, titled and described,
 * secrets marked as credentials, every parameter declared and used, dependencies as camel: or mvn: references.
 */
class KameletConventionsTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\??([A-Za-z0-9._-]+)(?::[^}]*)?}}");
    private static final Set<String> SMALL_WORDS = Set.of("a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or",
            "per", "the", "to", "with");
    /** Parameters every Kamelet has without declaring them. */
    private static final Set<String> IMPLICIT = Set.of("routeId", "templateId");

    @Test
    void each_kamelet_is_named_typed_and_annotated_as_the_catalogue_does() throws IOException {
        String version = projectVersion();
        for (Path file : kamelets()) {
            JsonNode kamelet = YAML.readTree(file.toFile());
            String name = kamelet.path("metadata").path("name").asText();
            String type = kamelet.path("metadata").path("labels").path("camel.apache.org/kamelet.type").asText();
            JsonNode annotations = kamelet.path("metadata").path("annotations");
            JsonNode definition = kamelet.path("spec").path("definition");

            assertThat(kamelet.path("apiVersion").asText()).isEqualTo("camel.apache.org/v1");
            assertThat(kamelet.path("kind").asText()).isEqualTo("Kamelet");
            assertThat(file.getFileName().toString()).isEqualTo(name + ".kamelet.yaml");
            assertThat(type).as(name).isIn("source", "sink", "action");
            assertThat(name).endsWith("-" + type);
            assertThat(definition.path("title").asText()).as(name).endsWith(Character.toUpperCase(type.charAt(0)) + type.substring(1));
            assertThat(definition.path("description").asText()).as(name).isNotBlank();
            assertThat(definition.path("type").asText()).as(name).isEqualTo("object");
            assertThat(annotations.path("camel.apache.org/catalog.version").asText()).as(name).isEqualTo(version);
            assertThat(annotations.path("camel.apache.org/provider").asText()).as(name).isNotBlank();
            assertThat(annotations.path("camel.apache.org/kamelet.support.level").asText()).as(name)
                    .isIn("Stable", "Preview", "Deprecated");
            String icon = annotations.path("camel.apache.org/kamelet.icon").asText();
            assertThat(icon).as(name).startsWith("data:image/svg+xml;base64,");
            assertThat(new String(Base64.getDecoder().decode(icon.substring(icon.indexOf(',') + 1)), StandardCharsets.UTF_8))
                    .as(name + "'s icon").startsWith("<svg");
            if (type.equals("source")) {
                assertThat(kamelet.path("spec").path("template").toString()).as(name).contains("kamelet:sink");
            } else {
                assertThat(kamelet.path("spec").path("template").path("from").path("uri").asText()).as(name).isEqualTo("kamelet:source");
            }
            for (JsonNode dependency : kamelet.path("spec").path("dependencies")) {
                assertThat(dependency.asText()).as(name).matches("camel:[a-z0-9-]+|mvn:[^:]+:[^:]+:[^:]+");
                if (dependency.asText().startsWith("mvn:devana.jobs:")) {
                    assertThat(dependency.asText()).isEqualTo("mvn:devana.jobs:devana-jobs:" + version);
                }
            }
        }
    }

    @Test
    void each_property_is_typed_titled_described_and_a_secret_is_marked_as_a_credential() throws IOException {
        for (Path file : kamelets()) {
            JsonNode kamelet = YAML.readTree(file.toFile());
            String name = kamelet.path("metadata").path("name").asText();
            JsonNode properties = kamelet.path("spec").path("definition").path("properties");
            for (JsonNode required : kamelet.path("spec").path("definition").path("required")) {
                assertThat(properties.has(required.asText())).as(name + " requires " + required).isTrue();
            }
            properties.fields().forEachRemaining(entry -> {
                String property = name + "." + entry.getKey();
                JsonNode p = entry.getValue();
                assertThat(p.path("type").asText()).as(property).isIn("string", "integer", "boolean", "number");
                assertThat(p.path("description").asText()).as(property).isNotBlank();
                String title = p.path("title").asText();
                assertThat(title).as(property).isNotBlank().doesNotStartWith("The ").doesNotStartWith("A ").doesNotStartWith("An ");
                for (String word : title.split(" ")) {
                    if (!SMALL_WORDS.contains(word.toLowerCase())) {
                        assertThat(Character.isUpperCase(word.charAt(0))).as(property + "'s title word " + word).isTrue();
                    }
                }
                boolean secret = entry.getKey().toLowerCase().contains("key") || entry.getKey().toLowerCase().contains("password");
                if (secret) {
                    assertThat(p.path("format").asText()).as(property).isEqualTo("password");
                    assertThat(p.has("default")).as(property + " has no default").isFalse();
                }
                if ("password".equals(p.path("format").asText())) {
                    assertThat(p.path("x-descriptors").toString()).as(property).contains("urn:camel:group:credentials")
                            .doesNotContain("urn:alm:descriptor");
                }
            });
        }
    }

    @Test
    void every_parameter_the_template_uses_is_declared_and_every_declared_one_is_used() throws IOException {
        for (Path file : kamelets()) {
            JsonNode kamelet = YAML.readTree(file.toFile());
            String name = kamelet.path("metadata").path("name").asText();
            Set<String> used = new TreeSet<>();
            collect(kamelet.path("spec").path("template"), used);
            Set<String> declared = new TreeSet<>();
            kamelet.path("spec").path("definition").path("properties").fieldNames().forEachRemaining(declared::add);
            for (JsonNode bean : kamelet.path("spec").path("template").path("beans")) {
                declared.add(bean.path("name").asText());
            }
            Set<String> undeclared = new TreeSet<>(used);
            undeclared.removeAll(declared);
            undeclared.removeAll(IMPLICIT);
            Set<String> unused = new TreeSet<>(declared);
            unused.removeAll(used);
            assertThat(undeclared).as(name + ": parameters used but not declared").isEmpty();
            assertThat(unused).as(name + ": parameters declared but not used").isEmpty();
        }
    }

    private static void collect(JsonNode node, Set<String> used) {
        if (node.isTextual()) {
            Matcher m = PLACEHOLDER.matcher(node.asText());
            while (m.find()) {
                used.add(m.group(1));
            }
        }
        node.forEach(child -> collect(child, used));
    }

    private static List<Path> kamelets() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("kamelets"))) {
            List<Path> found = new ArrayList<>(files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList());
            assertThat(found).hasSizeGreaterThanOrEqualTo(2);
            return found;
        }
    }

    private static String projectVersion() throws IOException {
        Matcher version = Pattern.compile("<artifactId>devana-jobs</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertThat(version.find()).isTrue();
        return version.group(1);
    }
}
