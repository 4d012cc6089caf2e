package io.vmflow.coordinator.http;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.OpenAPIContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The request bodies of the HTTP API checked against {@code openapi.yaml}, the document the API
 * publishes: what a client reads there is exactly what is enforced (types, required fields, enums,
 * bounds, patterns, no unknown field). The answer names each field that is wrong.
 */
final class RequestSchema {

    private static final Pattern REQUIRED = Pattern.compile("Instance does not have required property \"(.+)\"");

    private final Validator createMigration;
    private final Validator cancelMigration;
    private final Set<String> migrationFields;

    private RequestSchema(OpenAPIContract contract) {
        this.createMigration = bodyValidator(contract, "createMigration");
        this.cancelMigration = bodyValidator(contract, "cancelMigration");
        this.migrationFields = new TreeSet<>(contract.getRawContract()
                .getJsonObject("components")
                .getJsonObject("schemas")
                .getJsonObject("MigrationRequest")
                .getJsonObject("properties")
                .fieldNames());
    }

    /** The fields a migration request may have. */
    Set<String> migrationFields() {
        return migrationFields;
    }

    /** Reads and checks the API's contract (the coordinator's jar holds it); fails when it is not valid OpenAPI. */
    static RequestSchema load(Vertx vertx) throws Exception {
        return new RequestSchema(OpenAPIContract.from(vertx, "openapi.yaml")
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS));
    }

    private static Validator bodyValidator(OpenAPIContract contract, String operationId) {
        return contract.getSchemaRepository()
                .validator(contract.operation(operationId)
                        .getRequestBody()
                        .getContent()
                        .get("application/json")
                        .getSchema());
    }

    /** What is wrong with a migration request's body, or empty when nothing is. */
    Optional<String> migrationRequest(JsonObject body) {
        return problems(createMigration, body, migrationFields);
    }

    /** What is wrong with a cancel's body, or empty when nothing is. */
    Optional<String> cancel(JsonObject body) {
        return problems(cancelMigration, body, Set.of("reason"));
    }

    private static Optional<String> problems(Validator v, JsonObject body, Set<String> fields) {
        OutputUnit out = v.validate(body);
        if (Boolean.TRUE.equals(out.getValid())) {
            return Optional.empty();
        }
        List<String> problems = new ArrayList<>();
        collect(out, problems, fields);
        return Optional.of(problems.isEmpty() ? "the body does not match openapi.yaml" : String.join("; ", problems));
    }

    /**
     * The validator's leaf errors, in words a client acts on: the wrappers ("does not match schema")
     * left out, an unknown field and a missing one said as such.
     */
    private static void collect(OutputUnit u, List<String> into, Set<String> fields) {
        if (u.getErrors() != null && !u.getErrors().isEmpty()) {
            u.getErrors().forEach(e -> collect(e, into, fields));
            return;
        }
        String error = u.getError();
        if (error == null || error.endsWith("does not match schema")) {
            return;
        }
        String field =
                u.getInstanceLocation() == null ? "" : u.getInstanceLocation().replaceFirst("^#?/?", "");
        Matcher required = REQUIRED.matcher(error);
        String line;
        if (error.contains("additional properties")) {
            if (fields.contains(field)) {
                return; // a known field whose value is wrong: its own error says how
            }
            line = "unknown field '" + field + "'; the fields are " + fields;
        } else if (required.matches()) {
            line = "'" + required.group(1) + "' is required";
        } else {
            line = (field.isEmpty() ? "body" : "'" + field + "'") + ": " + error;
        }
        if (!into.contains(line)) {
            into.add(line);
        }
    }
}
