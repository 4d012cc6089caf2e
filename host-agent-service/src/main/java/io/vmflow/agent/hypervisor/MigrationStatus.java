package io.vmflow.agent.hypervisor;

import io.vmflow.avro.JobFigures;

/** QEMU's status of its own migration: none, setup, active, completed, failed, cancelled..., with its figures. */
public record MigrationStatus(String status, JobFigures figures, String error) {

    public boolean isFinal() {
        return status.equals("completed") || status.equals("failed") || status.equals("cancelled");
    }
}
