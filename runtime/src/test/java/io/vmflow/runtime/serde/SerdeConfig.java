package io.vmflow.runtime.serde;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/** The configuration key the serdes share with Confluent's: {@code schema.registry.url}. */
public final class SerdeConfig {

    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";

    private SerdeConfig() {}

    static String registryUrl(Map<String, ?> configs) {
        Object url = configs.get(SCHEMA_REGISTRY_URL);
        if (url == null || url.toString().isBlank()) {
            throw new ConfigException(
                    SCHEMA_REGISTRY_URL + " is required (e.g. http://127.0.0.1:8081/apis/ccompat/v7)");
        }
        return url.toString();
    }
}
