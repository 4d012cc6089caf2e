package io.vmflow.ops.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.inject.Produces;
import javax.inject.Singleton;

/**
 * Stands in for the build-time extension that Apicurio's published app normally gets from
 * {@code apicurio-common-app-components-config-index}, whose deployment artifact is not on Maven
 * Central. The cost: no registry property can be changed at run time through its admin API;
 * vmflow sets everything it needs (compatibility) through the Confluent API instead.
 */
public class DynamicConfigProducer {

    @Produces
    @Singleton
    DynamicConfigPropertyList dynamicConfigPropertyList() {
        return new DynamicConfigPropertyList(List.of());
    }
}
