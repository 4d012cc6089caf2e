package io.vmflow.schemas;

import io.vmflow.avro.Actor;
import io.vmflow.avro.CancelRequest;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.CoordinatorLease;
import io.vmflow.avro.GuestInfo;
import io.vmflow.avro.GuestObservation;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.HostState;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.Liveness;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Phase;
import io.vmflow.avro.Reason;
import io.vmflow.avro.ReportKind;
import io.vmflow.avro.SessionAction;
import io.vmflow.avro.TimeoutPolicy;
import io.vmflow.avro.Transport;
import io.vmflow.avro.TunnelReport;
import io.vmflow.avro.TunnelReportKind;
import io.vmflow.avro.TunnelSession;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/** One fully populated record of every message type, every optional field set, for round trips. */
public final class SampleRecords {

    public static final Instant AT = Instant.parse("2026-11-26T10:15:30.123Z").truncatedTo(ChronoUnit.MILLIS);

    private SampleRecords() {}

    public static MigrationSpec spec() {
        return MigrationSpec.newBuilder()
                .setGuest("web-1")
                .setSourceHost("hostA")
                .setDestinationHost("hostB")
                .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                .setTransport(Transport.TUNNELLED)
                .setSourceUri("qemu+tcp://10.250.0.1/system")
                .setDestinationUri("qemu+tcp://10.250.0.2/system")
                .setMigrationUri("tcp://10.251.0.2:49152")
                .setLive(true)
                .setPersistDest(true)
                .setUndefineSource(true)
                .setBandwidthMiBps(512L)
                .setMaxDowntimeMs(300L)
                .setCompletionTimeoutSecondsPerGiB(150L)
                .setAutoConverge(true)
                .setPostCopy(false)
                .setOnTimeout(TimeoutPolicy.RAISE_MAX_DOWNTIME)
                .build();
    }

    public static JobFigures figures() {
        return new JobFigures(
                1200L,
                300_000_000L,
                200_000_000L,
                100_000_000L,
                268_435_456L,
                200_000_000L,
                68_435_456L,
                250_000_000L,
                1500L,
                3L,
                180L);
    }

    public static MigrationRequest request() {
        return new MigrationRequest("req-1", spec(), "alice", "cli", "host maintenance", 5, AT);
    }

    public static CancelRequest cancel() {
        return new CancelRequest("req-2", "mig-1", "bob", "changed my mind", AT);
    }

    public static HostCommand command() {
        return HostCommand.newBuilder()
                .setCommandId("cmd-1")
                .setMigrationId("mig-1")
                .setHostId("hostA")
                .setType(CommandType.PERFORM)
                .setEpoch(7L)
                .setIssuer("coordinator-1")
                .setIssuedAt(AT)
                .setSpec(spec())
                .setPeerHost("hostB")
                .setDomainXml("<domain type='qemu'><name>web-1</name></domain>")
                .setMigrationUri("tcp://127.0.0.1:49300")
                .setTunnelSessionId("sess-1")
                .setReason(new Reason("OPERATOR_CANCEL", "cancelled by bob"))
                .build();
    }

    public static HostReport report() {
        return HostReport.newBuilder()
                .setReportId("rep-1")
                .setHostId("hostA")
                .setKind(ReportKind.PROGRESS)
                .setReportedAt(AT)
                .setMigrationId("mig-1")
                .setCommandId("cmd-1")
                .setCommandType(CommandType.PERFORM)
                .setReason(new Reason("NONE", "progress"))
                .setFigures(figures())
                .setGuest(new GuestObservation(
                        "web-1", "6f1f5b1e-6a8c-4e9f-9f7e-2b8f0f2c1a11", GuestState.MIGRATING, true))
                .setDomainXml("<domain/>")
                .setMigrationUri("tcp://10.250.0.2:49152")
                .setDetails(Map.of("libvirt", "9.0.0"))
                .build();
    }

    public static HostState hostState() {
        return HostState.newBuilder()
                .setHostId("hostA")
                .setReportedAt(AT)
                .setLiveness(Liveness.UP)
                .setAgentVersion("0.1.0")
                .setLibvirtUri("qemu+tcp://10.250.0.1/system")
                .setMigrationAddresses(List.of("10.250.0.1", "10.251.0.1"))
                .setMigrationPortMin(49152)
                .setMigrationPortMax(49215)
                .setRelayEndpoint("10.250.0.1:7443")
                .setCpuModel("qemu64")
                .setCpuArch("x86_64")
                .setCpus(2)
                .setMemoryTotalBytes(8L << 30)
                .setMemoryFreeBytes(6L << 30)
                .setRunningMigrations(1)
                .setGuests(List.of(new GuestInfo(
                        "web-1", "6f1f5b1e-6a8c-4e9f-9f7e-2b8f0f2c1a11", GuestState.RUNNING, true, 256L << 20, 1)))
                .setLibvirtVersion("9.0.0")
                .build();
    }

    public static CoordinatorLease lease() {
        return new CoordinatorLease("coordinator-1", 7L, AT, AT.plusSeconds(10), List.of("mig-1", "mig-2"));
    }

    public static MigrationEvent event() {
        return MigrationEvent.newBuilder()
                .setEventId("evt-1")
                .setMigrationId("mig-1")
                .setSequence(4L)
                .setPreviousPhase(Phase.TARGET_READY)
                .setPhase(Phase.RUNNING)
                .setOccurredAt(AT)
                .setActor(Actor.AGENT)
                .setActorId("hostA")
                .setHostId("hostA")
                .setPrincipal("alice")
                .setRequestId("req-1")
                .setSpec(spec())
                .setReason(new Reason("NONE", "running"))
                .setFigures(figures())
                .setProgressPercent(42)
                .build();
    }

    public static TunnelSession tunnelSession() {
        return TunnelSession.newBuilder()
                .setSessionId("sess-1")
                .setMigrationId("mig-1")
                .setAction(SessionAction.OPEN)
                .setSourceHost("hostA")
                .setDestinationHost("hostB")
                .setDestinationRelay("10.250.0.2:7443")
                .setDestinationTarget("127.0.0.1:49300")
                .setSourceListen("127.0.0.1:49300")
                .setCredentialSha256(ByteBuffer.wrap(new byte[32]))
                .setSealedCredential(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                .setExpiresAt(AT.plusSeconds(60))
                .setBandwidthBytesPerSecond(1L << 30)
                .setIssuedAt(AT)
                .build();
    }

    public static TunnelReport tunnelReport() {
        return TunnelReport.newBuilder()
                .setReportId("trep-1")
                .setHostId("hostB")
                .setKind(TunnelReportKind.CLOSED)
                .setReportedAt(AT)
                .setSessionId("sess-1")
                .setMigrationId("mig-1")
                .setPeer("hostA")
                .setBytes(268_435_456L)
                .setReason(new Reason("COMPLETED", "stream ended"))
                .build();
    }

    public static io.vmflow.avro.MigrationSnapshot snapshot() {
        return io.vmflow.avro.MigrationSnapshot.newBuilder()
                .setMigrationId("mig-1")
                .setRequestId("req-1")
                .setPrincipal("alice")
                .setSpec(spec())
                .setPhase(Phase.RUNNING)
                .setSequence(5)
                .setGuestMemoryBytes(256L << 20)
                .setDomainXml("<domain/>")
                .setMigrationUri("tcp://10.251.0.2")
                .setPerforming(true)
                .setRunningSinceMs(1L)
                .setLastProgressAtMs(2L)
                .setLastRemainingBytes(3L)
                .setTuned(false)
                .setAbortReason(null)
                .setLastReason(new Reason("NONE", "fine"))
                .setLastFigures(figures())
                .setCreatedAt(AT)
                .setUpdatedAt(AT)
                .setCoordinatorId("coordinator-1")
                .setPriority(1)
                .build();
    }

    /** A sample for every topic that carries Avro, in catalogue order (the per-host topics for hostA). */
    public static Map<Topic, SpecificRecord> byTopic() {
        Map<Topic, SpecificRecord> m = new LinkedHashMap<>();
        m.put(TopicCatalogue.MIGRATION_REQUESTS, request());
        m.put(TopicCatalogue.CANCEL_REQUESTS, cancel());
        m.put(TopicCatalogue.MIGRATION_EVENTS, event());
        m.put(TopicCatalogue.MIGRATION_SNAPSHOTS, snapshot());
        m.put(TopicCatalogue.COORDINATOR_LEASES, lease());
        m.put(TopicCatalogue.TUNNEL_REPORTS, tunnelReport());
        m.put(TopicCatalogue.SMOKE_TEST, event());
        m.put(TopicCatalogue.hostCommands("hostA"), command());
        m.put(TopicCatalogue.hostReports("hostA"), report());
        m.put(TopicCatalogue.hostState("hostA"), hostState());
        m.put(TopicCatalogue.peerCommands("hostA"), command());
        m.put(TopicCatalogue.tunnelSessions("hostA"), tunnelSession());
        return m;
    }
}
