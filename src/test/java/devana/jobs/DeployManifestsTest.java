package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import devana.jobs.config.Settings;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * deploy/: the kustomize base, rendered with the command deploy/README.md gives, held against what the app really
 * reads: application.properties' keys (one for each environment variable), the files Locations takes from the working
 * directory deploy/Dockerfile sets, the HTTP port and the health paths, the Secret's keys, the RBAC of leader election.
 * Skipped with its reason when kubectl is not on the PATH, unless REQUIRE_SERVICES=1 (CI), where it fails.
 */
class DeployManifestsTest {

    /** deploy/README.md's render command, run from the repository root. */
    static final String RENDER = "kubectl kustomize --load-restrictor LoadRestrictionsNone deploy/k8s";
    private static final Duration RENDER_TIMEOUT = Duration.ofSeconds(60);

    /**
     * The leader-election keys being added to application.properties (as {@code key=} or {@code #key=} lines). Until
     * application.properties names a camel.cluster.kubernetes.* key these three are taken as announced; from then on
     * each must be there like every other key.
     */
    private static final Set<String> ANNOUNCED_KEYS = Set.of("camel.cluster.kubernetes.enabled",
            "camel.cluster.kubernetes.namespace", "camel.cluster.kubernetes.pod-name");
    private static final Set<String> SECRET_VARIABLES = Set.of("DEVANA_API_KEY", "DEVANA_WEBHOOK_SECRET", "JOBS_DB_PASSWORD");
    private static final String PLACEHOLDER = "REPLACE-ME";

    /** A key=value line of application.properties, commented out or not. */
    private static final Pattern KEY_LINE = Pattern.compile("^#?([a-z][a-z0-9-]*(?:\\.[a-z0-9-]+)+)=", Pattern.MULTILINE);
    private static final Pattern DEFAULT_SERVER_PORT =
            Pattern.compile("^camel\\.server\\.port=\\{\\{env:CAMEL_SERVER_PORT:(\\d+)}}$", Pattern.MULTILINE);

    @TempDir
    static Path work;

    private static List<Map<String, Object>> documents;
    private static String properties;
    private static List<String[]> dockerfile;

    /** Renders once; without kubectl, each test says so itself (a class-level skip would lose the reason in Maven's report). */
    @BeforeAll
    static void render() throws Exception {
        if (!onPath("kubectl")) {
            return;
        }
        Path out = kustomize(RENDER, work);

        documents = new ArrayList<>();
        for (Object document : new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(out))) {
            if (document != null) {
                documents.add(map(document));
            }
        }
        properties = Files.readString(Path.of("application.properties"));
        dockerfile = Files.readAllLines(Path.of("deploy/Dockerfile")).stream().map(String::trim)
                .filter(line -> !line.isEmpty() && !line.startsWith("#")).map(line -> line.split("\\s+", 2))
                .filter(words -> words.length == 2).toList();
    }

    /** Runs a render command from the repository root; returns the file it wrote (its standard output). */
    static Path kustomize(String command, Path work) throws Exception {
        Path out = work.resolve("rendered.yaml");
        Path err = work.resolve("render.err");
        Process process = new ProcessBuilder(command.split(" ")).directory(new File("."))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(RENDER_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(command + " did not finish within " + RENDER_TIMEOUT.toSeconds() + " s");
        }
        assertThat(process.exitValue()).as("%s failed: %s", command, Files.readString(err)).isZero();
        return out;
    }

    @BeforeEach
    void kubectlRendered() {
        if (documents == null && "1".equals(System.getenv("REQUIRE_SERVICES"))) {
            fail("REQUIRE_SERVICES=1 but kubectl is not on the PATH: deploy/k8s cannot be rendered (" + RENDER + ")");
        }
        assumeTrue(documents != null, "kubectl is not on the PATH: deploy/k8s is not rendered, so not checked"
                + " (set REQUIRE_SERVICES=1 to fail instead)");
    }

    @Test
    void the_readme_gives_the_render_command_this_test_runs() throws IOException {
        assertThat(Files.readString(Path.of("deploy/README.md"))).contains(RENDER);
    }

    @Test
    void the_deployment_runs_two_replicas() {
        assertThat(spec(deployment()).get("replicas")).isEqualTo(2);
    }

    @Test
    void probes_ask_the_health_paths_within_a_second_on_the_port_the_app_listens_on() {
        Map<String, Object> container = container();
        int http = httpPort(container);
        Matcher defaultPort = DEFAULT_SERVER_PORT.matcher(properties);
        assertThat(defaultPort.find()).as("application.properties' camel.server.port={{env:CAMEL_SERVER_PORT:<port>}}").isTrue();
        assertThat(http).as("the container port named http").isEqualTo(Integer.parseInt(defaultPort.group(1)));
        Map<String, Object> serverPort = env(container).get("CAMEL_SERVER_PORT");
        if (serverPort != null) {
            assertThat(serverPort.get("value")).as("CAMEL_SERVER_PORT").isEqualTo(String.valueOf(http));
        }

        assertThat(container).containsKeys("livenessProbe", "readinessProbe");
        Map<String, String> paths = new TreeMap<>();
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            if (container.containsKey(probe)) {
                Map<String, Object> get = map(map(container.get(probe)).get("httpGet"));
                paths.put(probe, (String) get.get("path"));
                assertThat(port(container, get.get("port"))).as(probe + "'s port").isEqualTo(http);
                Object timeout = map(container.get(probe)).get("timeoutSeconds");
                assertThat(timeout).as(probe + "'s timeoutSeconds").isInstanceOf(Integer.class);
                assertThat((Integer) timeout).as(probe + "'s timeoutSeconds").isLessThanOrEqualTo(1);
            }
        }
        assertThat(paths).containsEntry("livenessProbe", "/observe/health/live")
                .containsEntry("readinessProbe", "/observe/health/ready");
        if (paths.containsKey("startupProbe")) {
            assertThat(paths.get("startupProbe")).isEqualTo("/observe/health/live");
        }

        Map<String, Object> service = one("Service");
        Map<String, Object> servicePort = list(spec(service).get("ports")).stream().map(DeployManifestsTest::map)
                .filter(port -> "http".equals(port.get("name"))).findFirst().orElseThrow(() -> new AssertionError("no Service port named http"));
        assertThat(servicePort.get("port")).isEqualTo(http);
        assertThat(port(container, servicePort.get("targetPort"))).as("the Service's targetPort").isEqualTo(http);
        Map<String, Object> podLabels = map(metadata(map(spec(deployment()).get("template"))).get("labels"));
        assertThat(podLabels).as("the pods' labels, which the Service selects").containsAllEntriesOf(map(spec(service).get("selector")));
        assertThat(instructions("EXPOSE")).as("the Dockerfile's EXPOSE").contains(String.valueOf(http));
    }

    @Test
    void every_environment_variable_names_a_key_of_application_properties_so_a_misspelt_one_fails() {
        Set<String> keys = new TreeSet<>();
        KEY_LINE.matcher(properties).results().forEach(line -> keys.add(line.group(1)));
        if (keys.stream().noneMatch(key -> key.startsWith("camel.cluster.kubernetes."))) {
            keys.addAll(ANNOUNCED_KEYS);
        }
        Map<String, String> variables = keys.stream().collect(Collectors.toMap(Settings::variable, key -> key, (a, b) -> a));
        for (String name : env(container()).keySet()) {
            assertThat(variables).as("%s: application.properties has no key it overrides (key: lower case, _ -> . or -)", name)
                    .containsKey(name);
            if (name.endsWith("_PORT")) {
                assertThat(properties).as("%s: Camel Main skips variables ending in _PORT; application.properties must read it"
                        + " as {{env:%s...}}", name, name).contains("{{env:" + name);
            }
        }
    }

    @Test
    void secrets_come_from_the_secret_which_holds_only_placeholders() {
        Map<String, Map<String, Object>> env = env(container());
        assertThat(env).containsKeys(SECRET_VARIABLES.toArray(String[]::new));
        for (Map.Entry<String, Map<String, Object>> variable : env.entrySet()) {
            Object from = variable.getValue().get("valueFrom");
            Object secretRef = from == null ? null : map(from).get("secretKeyRef");
            Map<String, Object> ref = secretRef == null ? null : map(secretRef);
            if (SECRET_VARIABLES.contains(variable.getKey())) {
                assertThat(ref).as("%s comes from a Secret, never a value", variable.getKey()).isNotNull();
            }
            if (ref != null) {
                Map<String, Object> secret = named("Secret", (String) ref.get("name"));
                assertThat(map(secret.getOrDefault("stringData", Map.of()))).as("%s's Secret", variable.getKey())
                        .containsKey((String) ref.get("key"));
            }
        }
        for (Map<String, Object> secret : all("Secret")) {
            assertThat(secret).as("a Secret's values in the repository").doesNotContainKey("data");
            assertThat(map(secret.get("stringData")).values()).as("a Secret's values in the repository").containsOnly(PLACEHOLDER);
        }
    }

    @Test
    void leader_election_is_on_and_learns_its_namespace_and_pod_name_from_the_downward_api() {
        Map<String, Map<String, Object>> env = env(container());
        assertThat(env.get("CAMEL_CLUSTER_KUBERNETES_ENABLED")).containsEntry("value", "true");
        assertThat(fieldPath(env.get("CAMEL_CLUSTER_KUBERNETES_NAMESPACE"))).isEqualTo("metadata.namespace");
        assertThat(fieldPath(env.get("CAMEL_CLUSTER_KUBERNETES_POD_NAME"))).isEqualTo("metadata.name");
    }

    @Test
    void the_pods_carry_the_labels_that_make_them_members_of_the_election_the_accounts_spread_over() {
        Matcher line = Pattern.compile("(?m)^camel\\.cluster\\.kubernetes\\.cluster-labels=(.+)$").matcher(properties);
        assertThat(line.find()).as("application.properties' camel.cluster.kubernetes.cluster-labels").isTrue();
        Map<String, String> wanted = new java.util.LinkedHashMap<>();
        for (String pair : line.group(1).trim().split(",")) {
            wanted.put(pair.split("=")[0].trim(), pair.split("=")[1].trim());
        }
        String variable = env(container()).containsKey("CAMEL_CLUSTER_KUBERNETES_CLUSTER_LABELS")
                ? (String) env(container()).get("CAMEL_CLUSTER_KUBERNETES_CLUSTER_LABELS").get("value") : null;
        assertThat(variable).as("the default labels are the Deployment's: no variable needed").isNull();
        Map<String, Object> podLabels = map(map(map(spec(deployment()).get("template")).get("metadata")).get("labels"));
        assertThat(podLabels).containsAllEntriesOf(wanted);
    }

    @Test
    void the_role_grants_leases_and_the_pod_list_leader_election_needs_and_nothing_else() {
        Set<String> grants = new TreeSet<>();
        for (Object rule : list(one("Role").get("rules"))) {
            Map<String, Object> granted = map(rule);
            assertThat(granted).as("a rule by name or URL").doesNotContainKeys("resourceNames", "nonResourceURLs");
            for (Object group : list(granted.get("apiGroups"))) {
                for (Object resource : list(granted.get("resources"))) {
                    for (Object verb : list(granted.get("verbs"))) {
                        grants.add(group + "/" + resource + ":" + verb);
                    }
                }
            }
        }
        Set<String> expected = new TreeSet<>();
        Stream.of("get", "list", "watch", "create", "update", "patch").forEach(verb -> expected.add("coordination.k8s.io/leases:" + verb));
        // camel-kubernetes 4.14 lists the namespace's pods (KubernetesLeadershipController.pullClusterMembers) and
        // does not lead without that list
        expected.add("/pods:list");
        assertThat(grants).isEqualTo(expected);
    }

    @Test
    void the_role_is_bound_to_the_deployments_service_account() {
        Map<String, Object> deployment = deployment();
        String account = (String) podSpec().get("serviceAccountName");
        assertThat(account).isNotBlank();
        named("ServiceAccount", account);
        Map<String, Object> binding = one("RoleBinding");
        assertThat(map(binding.get("roleRef"))).containsEntry("apiGroup", "rbac.authorization.k8s.io")
                .containsEntry("kind", "Role").containsEntry("name", metadata(one("Role")).get("name"));
        assertThat(list(binding.get("subjects"))).containsExactly(Map.of("kind", "ServiceAccount", "name", account,
                "namespace", metadata(deployment).get("namespace")));
    }

    @Test
    void the_config_map_holds_application_properties_and_every_route_file_as_they_are() throws IOException {
        Map<String, Object> data = map(configMap().get("data"));
        Map<String, String> expected = new TreeMap<>();
        expected.put("application.properties", properties);
        for (Path route : routeFiles()) {
            expected.put(route.getFileName().toString(), Files.readString(route));
        }
        assertThat(data.keySet()).as("the ConfigMap's entries").isEqualTo(expected.keySet());
        expected.forEach((key, content) -> assertThat(content.equals(data.get(key)))
                .as("the ConfigMap's %s is the repository's file as it is", key).isTrue());
    }

    @Test
    void the_mounts_put_them_where_the_app_reads_them_from_the_images_working_directory() throws IOException {
        String workdir = instructions("WORKDIR").stream().reduce((first, last) -> last).orElseThrow(
                () -> new AssertionError("deploy/Dockerfile has no WORKDIR: the app would read its configuration from /"));
        assertThat(workdir).as("the Dockerfile's WORKDIR").startsWith("/");
        Map<String, String> placed = placedFiles();
        assertThat(placed).as("files placed from the ConfigMap (path in the container -> key)")
                .containsEntry(workdir + "/application.properties", "application.properties");
        Map<String, String> routes = new TreeMap<>();
        for (Path route : routeFiles()) {
            routes.put(workdir + "/routes/" + route.getFileName(), route.getFileName().toString());
        }
        assertThat(placed.entrySet().stream().filter(file -> file.getKey().startsWith(workdir + "/routes/"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue))).as("the route files Locations reads")
                .isEqualTo(routes);

        List<String> image = new ArrayList<>(instructions("COPY").stream().map(copy -> copy.substring(copy.lastIndexOf(' ') + 1)).toList());
        image.add(entrypoint());
        for (Object mount : list(container().get("volumeMounts"))) {
            String at = (String) map(mount).get("mountPath");
            assertThat(image).as("what the image holds, not hidden by the mount at " + at)
                    .noneMatch(file -> file.equals(at) || file.startsWith(at.endsWith("/") ? at : at + "/"));
        }
    }

    @Test
    void runs_the_launcher_as_the_images_non_root_user_on_a_read_only_root_with_a_writable_tmp() {
        String user = instructions("USER").stream().reduce((first, last) -> last).orElseThrow(
                () -> new AssertionError("deploy/Dockerfile has no USER: it would run as root"));
        String uid = user.split(":")[0];
        assertThat(uid).as("the Dockerfile's USER, numeric so that runAsNonRoot can check it").matches("\\d+").isNotEqualTo("0");
        Map<String, Object> pod = map(podSpec().getOrDefault("securityContext", Map.of()));
        Map<String, Object> own = map(container().getOrDefault("securityContext", Map.of()));
        assertThat(own.getOrDefault("runAsNonRoot", pod.get("runAsNonRoot"))).as("runAsNonRoot").isEqualTo(true);
        Object runAs = own.getOrDefault("runAsUser", pod.get("runAsUser"));
        if (runAs != null) {
            assertThat(runAs).as("runAsUser").hasToString(uid);
        }

        assertThat(entrypoint()).as("ENTRYPOINT: the launcher, so that its JVM options apply").endsWith("/bin/devana-jobs");
        assertThat(instructions("COPY")).anySatisfy(copy -> assertThat(copy).startsWith("bin/devana-jobs ").endsWith(" " + entrypoint()))
                .anySatisfy(copy -> assertThat(copy).startsWith("target/devana-jobs.jar "));
        assertThat(instructions("ENV")).as("the launcher's class-data archive: off, or somewhere writable")
                .anySatisfy(env -> assertThat(env).containsPattern("(^|\\s)DEVANA_JOBS_CDS=(off|/tmp/\\S+)(\\s|$)"));

        if (Boolean.TRUE.equals(own.get("readOnlyRootFilesystem"))) {
            Set<String> emptyDirs = list(podSpec().get("volumes")).stream().map(DeployManifestsTest::map)
                    .filter(volume -> volume.containsKey("emptyDir")).map(volume -> (String) volume.get("name")).collect(Collectors.toSet());
            assertThat(list(container().get("volumeMounts"))).as("an emptyDir at /tmp (the JVM's and the HTTP server's files)")
                    .anySatisfy(mount -> assertThat(map(mount)).containsEntry("mountPath", "/tmp")
                            .satisfies(m -> assertThat(emptyDirs).contains((String) m.get("name"))));
        }
    }

    @Test
    void memory_is_sized_for_the_launchers_heap() throws IOException {
        Matcher heap = Pattern.compile("-Xmx(\\d+)m").matcher(Files.readString(Path.of("bin/devana-jobs")));
        assertThat(heap.find()).as("bin/devana-jobs' -Xmx").isTrue();
        long heapBytes = Long.parseLong(heap.group(1)) << 20;
        Map<String, Object> resources = map(container().get("resources"));
        long request = bytes(map(resources.get("requests")).get("memory"));
        long limit = bytes(map(resources.get("limits")).get("memory"));
        // resident is about twice the heap (docs/benchmarks.md: 189 MB with a 96 MiB heap)
        assertThat(request).as("the memory request").isGreaterThanOrEqualTo(2 * heapBytes);
        assertThat(limit).as("the memory limit").isGreaterThanOrEqualTo(request);
    }

    // --- the rendered documents ---------------------------------------------------------------------------------------

    private static List<Map<String, Object>> all(String kind) {
        return documents.stream().filter(document -> kind.equals(document.get("kind"))).toList();
    }

    private static Map<String, Object> one(String kind) {
        List<Map<String, Object>> found = all(kind);
        assertThat(found).as("rendered %s objects", kind).hasSize(1);
        return found.get(0);
    }

    private static Map<String, Object> named(String kind, String name) {
        return all(kind).stream().filter(document -> name.equals(metadata(document).get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " is rendered"));
    }

    private static Map<String, Object> deployment() {
        return one("Deployment");
    }

    private static Map<String, Object> podSpec() {
        return spec(map(spec(deployment()).get("template")));
    }

    private static Map<String, Object> container() {
        List<Object> containers = list(podSpec().get("containers"));
        assertThat(containers).as("the Deployment's containers").hasSize(1);
        return map(containers.get(0));
    }

    /** The one ConfigMap: kustomize's, from application.properties and routes/, its name with the content's hash. */
    private static Map<String, Object> configMap() {
        return one("ConfigMap");
    }

    /** The container's environment by name, each entry as written (value or valueFrom). */
    private static Map<String, Map<String, Object>> env(Map<String, Object> container) {
        Map<String, Map<String, Object>> env = new LinkedHashMap<>();
        for (Object variable : list(container.get("env"))) {
            Map<String, Object> entry = map(variable);
            assertThat(env.put((String) entry.get("name"), entry)).as("a second %s", entry.get("name")).isNull();
        }
        return env;
    }

    private static String fieldPath(Map<String, Object> variable) {
        assertThat(variable).as("a variable set from the downward API").isNotNull();
        return (String) map(map(map(variable.get("valueFrom")).get("fieldRef"))).get("fieldPath");
    }

    private static int httpPort(Map<String, Object> container) {
        return list(container.get("ports")).stream().map(DeployManifestsTest::map).filter(port -> "http".equals(port.get("name")))
                .map(port -> (Integer) port.get("containerPort")).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named http"));
    }

    /** A port as a probe or a Service's targetPort names it: a number, or the name of a container port. */
    private static int port(Map<String, Object> container, Object port) {
        if (port instanceof Integer number) {
            return number;
        }
        return list(container.get("ports")).stream().map(DeployManifestsTest::map).filter(named -> Objects.equals(port, named.get("name")))
                .map(named -> (Integer) named.get("containerPort")).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + port));
    }

    /** Every file the container sees from the ConfigMap: its path there -> its key. */
    private static Map<String, String> placedFiles() {
        String configMap = (String) metadata(configMap()).get("name");
        Set<String> allKeys = map(configMap().get("data")).keySet();
        Map<String, List<Map<String, Object>>> volumes = new TreeMap<>();
        for (Object volume : list(podSpec().get("volumes"))) {
            Map<String, Object> described = map(volume);
            List<Map<String, Object>> sources = new ArrayList<>();
            if (described.get("configMap") != null) {
                sources.add(map(described.get("configMap")));
            }
            if (described.get("projected") != null) {
                for (Object source : list(map(described.get("projected")).get("sources"))) {
                    if (map(source).get("configMap") != null) {
                        sources.add(map(map(source).get("configMap")));
                    }
                }
            }
            volumes.put((String) described.get("name"), sources.stream().filter(source -> configMap.equals(source.get("name"))).toList());
        }
        Map<String, String> placed = new TreeMap<>();
        for (Object mount : list(container().get("volumeMounts"))) {
            Map<String, Object> described = map(mount);
            String at = ((String) described.get("mountPath")).replaceAll("/+$", "");
            Object subPath = described.get("subPath");
            for (Map<String, Object> source : volumes.getOrDefault((String) described.get("name"), List.of())) {
                Map<String, String> files = new TreeMap<>();
                if (source.get("items") == null) {
                    allKeys.forEach(key -> files.put(key, key));
                } else {
                    for (Object item : list(source.get("items"))) {
                        String key = (String) map(item).get("key");
                        assertThat(allKeys).as("the ConfigMap's keys, one of which the %s volume's items name", described.get("name"))
                                .contains(key);
                        files.put((String) map(item).get("path"), key);
                    }
                }
                files.forEach((path, key) -> {
                    if (subPath == null) {
                        placed.put(at + "/" + path, key);
                    } else if (subPath.equals(path)) {
                        placed.put(at, key);
                    }
                });
            }
        }
        return placed;
    }

    private static List<Path> routeFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            List<Path> routes = files.filter(file -> file.getFileName().toString().endsWith(".camel.yaml")).sorted().toList();
            assertThat(routes).as("routes/*.camel.yaml").isNotEmpty();
            return routes;
        }
    }

    // --- deploy/Dockerfile ----------------------------------------------------------------------------------------------

    /** The arguments of every instruction of this name, in order. */
    private static List<String> instructions(String name) {
        return dockerfile.stream().filter(words -> words[0].equalsIgnoreCase(name)).map(words -> words[1].trim()).toList();
    }

    /** The exec-form ENTRYPOINT's program. */
    private static String entrypoint() {
        String entrypoint = instructions("ENTRYPOINT").stream().reduce((first, last) -> last)
                .orElseThrow(() -> new AssertionError("deploy/Dockerfile has no ENTRYPOINT"));
        Matcher program = Pattern.compile("^\\[\\s*\"([^\"]+)\"").matcher(entrypoint);
        assertThat(program.find()).as("an exec-form ENTRYPOINT (the JVM gets SIGTERM): %s", entrypoint).isTrue();
        return program.group(1);
    }

    // --- plumbing ------------------------------------------------------------------------------------------------------

    static boolean onPath(String program) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)).filter(dir -> !dir.isEmpty())
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
    }

    /** A Kubernetes memory quantity in bytes (plain, Ki, Mi, Gi, k, M, G). */
    private static long bytes(Object quantity) {
        Matcher parts = Pattern.compile("(\\d+)(Ki|Mi|Gi|k|M|G)?").matcher(String.valueOf(quantity));
        assertThat(parts.matches()).as("a memory quantity: %s", quantity).isTrue();
        long number = Long.parseLong(parts.group(1));
        return switch (parts.group(2) == null ? "" : parts.group(2)) {
            case "Ki" -> number << 10;
            case "Mi" -> number << 20;
            case "Gi" -> number << 30;
            case "k" -> number * 1000;
            case "M" -> number * 1000_000;
            case "G" -> number * 1000_000_000;
            default -> number;
        };
    }

    private static Map<String, Object> metadata(Map<String, Object> document) {
        return map(document.get("metadata"));
    }

    private static Map<String, Object> spec(Map<String, Object> document) {
        return map(document.get("spec"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object node) {
        assertThat(node).as("a YAML mapping").isInstanceOf(Map.class);
        return (Map<String, Object>) node;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object node) {
        assertThat(node).as("a YAML sequence").isInstanceOf(List.class);
        return (List<Object>) node;
    }
}
