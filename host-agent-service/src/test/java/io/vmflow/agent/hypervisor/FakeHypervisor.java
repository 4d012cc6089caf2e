package io.vmflow.agent.hypervisor;

import io.vmflow.avro.GuestInfo;
import io.vmflow.avro.GuestObservation;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.JobFigures;
import io.vmflow.schemas.reasons.ReasonCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A hypervisor in memory, for unit tests of the agent's flows only (every integration test runs the
 * libvirt adapter on real hosts). It holds guests with a state, records every call that changes
 * something as a line ("migrateDirect g qemu+tcp://b/system flags=9"), and fails a named call when told.
 */
public final class FakeHypervisor implements Hypervisor {

    /** One guest as this fake host has it. */
    public static final class Guest {
        public GuestState state;
        public boolean persistent;
        public String uuid;
        public boolean jobRunning;
        public String hypervisorMigration = "none";

        Guest(GuestState state, boolean persistent, String uuid) {
            this.state = state;
            this.persistent = persistent;
            this.uuid = uuid;
        }
    }

    public final Map<String, Guest> guests = new LinkedHashMap<>();
    public final List<String> calls = new ArrayList<>();
    public final Map<String, HypervisorException> failing = new LinkedHashMap<>();
    /** Other hosts' libvirts this one can ask about a guest ({@link #observeAt}), by URI. */
    public final Map<String, FakeHypervisor> peers = new LinkedHashMap<>();

    public HostFacts facts = new HostFacts("Skylake", "x86_64", 4, 8L << 30, 4L << 30, "11.3.0");
    public boolean cpuCompatible = true;
    public JobFigures completedFigures = new JobFigures();
    private final String uri;

    public FakeHypervisor(String uri) {
        this.uri = uri;
    }

    public Guest add(String name, GuestState state, boolean persistent) {
        Guest g = new Guest(state, persistent, "00000000-0000-0000-0000-" + String.format("%012d", guests.size() + 1));
        guests.put(name, g);
        return g;
    }

    /** The next call named {@code call} fails with this code. */
    public FakeHypervisor failNext(String call, ReasonCode code) {
        failing.put(call, new HypervisorException(code, call + " failed (fake)"));
        return this;
    }

    private void maybeFail(String call) throws HypervisorException {
        HypervisorException e = failing.remove(call);
        if (e != null) {
            throw e;
        }
    }

    private Guest require(String guest) throws HypervisorException {
        Guest g = guests.get(guest);
        if (g == null) {
            throw new HypervisorException(ReasonCode.GUEST_NOT_FOUND, "guest '" + guest + "' is not defined on " + uri);
        }
        return g;
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public boolean has(String guest) {
        return guests.containsKey(guest);
    }

    @Override
    public GuestObservation observe(String guest) {
        Guest g = guests.get(guest);
        return g == null
                ? new GuestObservation(guest, null, GuestState.SHUT_OFF, false)
                : new GuestObservation(guest, g.uuid, g.state, g.persistent);
    }

    @Override
    public List<GuestInfo> guests() {
        List<GuestInfo> out = new ArrayList<>();
        guests.forEach((n, g) -> out.add(new GuestInfo(n, g.uuid, g.state, g.persistent, 256L << 20, 1)));
        return out;
    }

    @Override
    public HostFacts facts() throws HypervisorException {
        maybeFail("facts");
        return facts;
    }

    @Override
    public boolean cpuCompatible(String cpuXml) {
        return cpuXml == null || cpuCompatible;
    }

    @Override
    public String migratableXml(String guest) throws HypervisorException {
        Guest g = require(guest);
        return "<domain type='kvm'><name>" + guest + "</name><uuid>" + g.uuid + "</uuid></domain>";
    }

    @Override
    public boolean jobActive(String guest) throws HypervisorException {
        return require(guest).jobRunning;
    }

    @Override
    public GuestObservation observeAt(String uri, String guest) throws HypervisorException {
        FakeHypervisor peer = peers.get(uri);
        if (peer == null) {
            throw new HypervisorException(ReasonCode.HOST_UNREACHABLE, "no libvirt at " + uri + " (fake)");
        }
        return peer.observe(guest);
    }

    @Override
    public JobFigures jobFigures(String guest) {
        return new JobFigures();
    }

    @Override
    public JobFigures completedJobFigures(String guest, String otherUri) {
        return completedFigures;
    }

    @Override
    public void migrateDirect(String guest, String destinationUri, MigrationOptions o) throws HypervisorException {
        migrate("migrateDirect", guest, destinationUri, o);
    }

    @Override
    public void migrateToUri(String guest, String destinationUri, MigrationOptions o) throws HypervisorException {
        migrate("migrateToUri", guest, destinationUri, o);
    }

    /** A migration that succeeds takes the guest away (its config stays only when it was persistent). */
    private void migrate(String call, String guest, String destinationUri, MigrationOptions o)
            throws HypervisorException {
        Guest g = require(guest);
        calls.add(call + " " + guest + " " + destinationUri + " flags=" + o.flags()
                + (o.migrationUri() == null ? "" : " uri=" + o.migrationUri()));
        maybeFail(call);
        if (g.persistent && !o.has(MigrationOptions.MigrateFlags.UNDEFINE_SOURCE)) {
            g.state = GuestState.SHUT_OFF;
        } else {
            guests.remove(guest);
        }
    }

    @Override
    public boolean abortJob(String guest) throws HypervisorException {
        Guest g = require(guest);
        calls.add("abortJob " + guest);
        maybeFail("abortJob");
        boolean had = g.jobRunning;
        g.jobRunning = false;
        return had;
    }

    @Override
    public String ensureRunning(String guest) throws HypervisorException {
        Guest g = require(guest);
        maybeFail("ensureRunning");
        if (g.state == GuestState.PAUSED) {
            calls.add("resume " + guest);
            g.state = GuestState.RUNNING;
            return "resumed";
        }
        return g.state == GuestState.RUNNING ? "running" : "state " + g.state;
    }

    @Override
    public void setMaxDowntime(String guest, long ms) throws HypervisorException {
        require(guest);
        calls.add("setMaxDowntime " + guest + " " + ms);
    }

    @Override
    public void destroy(String guest) throws HypervisorException {
        Guest g = require(guest);
        calls.add("destroy " + guest);
        g.state = GuestState.SHUT_OFF;
        if (!g.persistent) {
            guests.remove(guest);
        }
    }

    @Override
    public void undefine(String guest) throws HypervisorException {
        Guest g = require(guest);
        calls.add("undefine " + guest);
        if (g.state == GuestState.SHUT_OFF) {
            guests.remove(guest);
        } else {
            g.persistent = false;
        }
    }

    @Override
    public void startHypervisorMigration(String guest, String qemuUri) throws HypervisorException {
        Guest g = require(guest);
        calls.add("qemu migrate " + guest + " " + qemuUri);
        maybeFail("startHypervisorMigration");
        g.hypervisorMigration = "active";
    }

    @Override
    public MigrationStatus hypervisorMigrationStatus(String guest) throws HypervisorException {
        return new MigrationStatus(require(guest).hypervisorMigration, new JobFigures(), null);
    }

    @Override
    public MigrationStatus cancelHypervisorMigration(String guest, Duration wait) throws HypervisorException {
        Guest g = require(guest);
        calls.add("qemu migrate_cancel " + guest);
        if (!g.hypervisorMigration.equals("completed")) {
            g.hypervisorMigration = "cancelled";
        }
        return new MigrationStatus(g.hypervisorMigration, new JobFigures(), null);
    }

    @Override
    public void close() {
        calls.add("close");
    }
}
