package io.vmflow.runtime.serde;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/** The configuration key the serdes share with Confluent's: {@code schema.registry.url}. */
public final class SerdeConfig {

    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    /** The principal directory (ops/pki.sh) whose certificate an https registry is called with. */
    public static final String REGISTRY_TLS_DIR = "vmflow.registry.tls.dir";

    private SerdeConfig() {}

    static io.vmflow.runtime.registry.SchemaRegistryClient registry(Map<String, ?> configs) {
        Object dir = configs.get(REGISTRY_TLS_DIR);
        return new io.vmflow.runtime.registry.SchemaRegistryClient(
                registryUrl(configs),
                dir == null ? null : io.vmflow.runtime.security.PemTls.client(java.nio.file.Path.of(dir.toString())));
    }

    static String registryUrl(Map<String, ?> configs) {
        Object url = configs.get(SCHEMA_REGISTRY_URL);
        if (url == null || url.toString().isBlank()) {
            throw new ConfigException(
                    SCHEMA_REGISTRY_URL + " is required (e.g. http://127.0.0.1:8081/apis/ccompat/v7)");
        }
        return url.toString();
    }
}
