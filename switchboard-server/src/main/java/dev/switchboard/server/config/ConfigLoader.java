package dev.switchboard.server.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link ServerConfig} from four layers, later ones winning: the class-path defaults, an
 * optional YAML file, {@code SWITCHBOARD_*} environment variables, and explicit overrides (the CLI).
 * Unknown keys in the file are an error, so a typo never silently falls back to a default.
 */
public final class ConfigLoader {
    public static final String ENVIRONMENT_PREFIX = "SWITCHBOARD_";
    /** Variables with the prefix that are read by the logging setup, not by the configuration. */
    private static final Set<String> NON_SETTING_VARIABLES = Set.of("SWITCHBOARD_LOG_LEVEL", "SWITCHBOARD_LOG_FORMAT");
    private static final String DEFAULTS_RESOURCE = "/switchboard-defaults.yml";

    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /**
     * @param file        YAML file, or null
     * @param environment usually {@code System.getenv()}
     * @param overrides   dotted keys ({@code server.port}) to values, applied last
     */
    public ServerConfig load(Path file, Map<String, String> environment, Map<String, Object> overrides) {
        ObjectNode tree = readDefaults();
        if (file != null) {
            merge(tree, readFile(file), "");
        }
        applyEnvironment(tree, "", environment);
        overrides.forEach((key, value) -> set(tree, key, yaml.valueToTree(value)));
        try {
            return yaml.treeToValue(tree, ServerConfig.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("invalid configuration: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Variables of {@code environment} that carry the {@code SWITCHBOARD_} prefix but name no setting (nor
     * one of the logging variables): most likely misspelt settings, which {@link #load} cannot see and so
     * ignores. The server warns about them at startup.
     */
    public List<String> unknownEnvironmentNames(Map<String, String> environment) {
        Set<String> known = new HashSet<>(NON_SETTING_VARIABLES);
        collectEnvironmentNames(readDefaults(), "", known);
        return environment.keySet().stream()
                .filter(name -> name.startsWith(ENVIRONMENT_PREFIX) && !known.contains(name))
                .sorted().toList();
    }

    private static void collectEnvironmentNames(JsonNode node, String path, Set<String> names) {
        node.fields().forEachRemaining(field -> {
            if (field.getValue().isObject()) {
                collectEnvironmentNames(field.getValue(), path + field.getKey() + ".", names);
            } else {
                names.add(environmentName(path + field.getKey()));
            }
        });
    }

    /** The environment variable that overrides a dotted key: {@code auth.jwtSecret} → {@code SWITCHBOARD_AUTH_JWT_SECRET}. */
    public static String environmentName(String dottedKey) {
        return ENVIRONMENT_PREFIX + dottedKey.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replace('.', '_').toUpperCase();
    }

    private ObjectNode readDefaults() {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
            return (ObjectNode) yaml.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + DEFAULTS_RESOURCE, e);
        }
    }

    private JsonNode readFile(Path file) {
        try {
            JsonNode node = yaml.readTree(Files.readAllBytes(file));
            if (node == null || node.isMissingNode() || node.isNull()) {
                return yaml.createObjectNode();
            }
            if (!node.isObject()) {
                throw new IllegalArgumentException("configuration file " + file + " is not a YAML mapping");
            }
            return node;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
    }

    private void merge(ObjectNode target, JsonNode source, String path) {
        Iterator<Map.Entry<String, JsonNode>> fields = source.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String key = path + field.getKey();
            JsonNode existing = target.get(field.getKey());
            if (existing == null) {
                throw new IllegalArgumentException("unknown configuration key: " + key);
            }
            if (existing.isObject() && field.getValue().isObject()) {
                merge((ObjectNode) existing, field.getValue(), key + ".");
            } else {
                target.set(field.getKey(), field.getValue());
            }
        }
    }

    private void applyEnvironment(ObjectNode node, String path, Map<String, String> environment) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String key = path + field.getKey();
            if (field.getValue().isObject()) {
                applyEnvironment((ObjectNode) field.getValue(), key + ".", environment);
                continue;
            }
            String value = environment.get(environmentName(key));
            if (value != null) {
                field.setValue(parseScalar(value, field.getValue()));
            }
        }
    }

    /** Environment values are strings; lists are comma-separated. Jackson coerces numbers and booleans. */
    private JsonNode parseScalar(String value, JsonNode current) {
        if (current.isArray()) {
            ArrayNode array = yaml.createArrayNode();
            for (String item : value.split(",")) {
                if (!item.isBlank()) {
                    array.add(item.trim());
                }
            }
            return array;
        }
        return yaml.getNodeFactory().textNode(value);
    }

    private void set(ObjectNode tree, String dottedKey, JsonNode value) {
        String[] parts = dottedKey.split("\\.");
        ObjectNode node = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (child == null || !child.isObject()) {
                throw new IllegalArgumentException("unknown configuration key: " + dottedKey);
            }
            node = (ObjectNode) child;
        }
        if (!node.has(parts[parts.length - 1])) {
            throw new IllegalArgumentException("unknown configuration key: " + dottedKey);
        }
        node.set(parts[parts.length - 1], value);
    }
}
