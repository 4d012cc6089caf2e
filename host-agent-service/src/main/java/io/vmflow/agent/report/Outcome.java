package io.vmflow.agent.report;

import io.vmflow.avro.GuestObservation;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.Reason;
import io.vmflow.avro.ReportKind;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a command ended, before it becomes a report: succeeded with what it found, or failed with a
 * reason. Mutable only while a handler builds it.
 */
public final class Outcome {

    final ReportKind kind;
    final Reason reason;
    GuestObservation guest;
    String domainXml;
    String migrationUri;
    JobFigures figures;
    final Map<String, String> details = new LinkedHashMap<>();

    private Outcome(ReportKind kind, Reason reason) {
        this.kind = kind;
        this.reason = reason;
    }

    public static Outcome succeeded() {
        return new Outcome(ReportKind.COMMAND_SUCCEEDED, null);
    }

    public static Outcome failed(Reason reason) {
        return new Outcome(ReportKind.COMMAND_FAILED, reason);
    }

    public static Outcome refused(Reason reason) {
        return new Outcome(ReportKind.COMMAND_REFUSED, reason);
    }

    public Outcome guest(GuestObservation g) {
        this.guest = g;
        return this;
    }

    public Outcome domainXml(String xml) {
        this.domainXml = xml;
        return this;
    }

    public Outcome migrationUri(String uri) {
        this.migrationUri = uri;
        return this;
    }

    public Outcome figures(JobFigures f) {
        this.figures = f;
        return this;
    }

    public Outcome detail(String key, String value) {
        details.put(key, value);
        return this;
    }

    public GuestObservation guest() {
        return guest;
    }

    public String domainXml() {
        return domainXml;
    }

    public String migrationUri() {
        return migrationUri;
    }

    public JobFigures figures() {
        return figures;
    }

    public Map<String, String> details() {
        return Map.copyOf(details);
    }

    public ReportKind kind() {
        return kind;
    }

    public Reason reason() {
        return reason;
    }
}
