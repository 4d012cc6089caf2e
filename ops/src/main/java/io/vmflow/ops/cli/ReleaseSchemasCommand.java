package io.vmflow.ops.cli;

import io.vmflow.ops.release.SchemaEvolution;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Release tooling: records this build's schemas as a released version, so later builds check against them. */
@Command(
        name = "release-schemas",
        mixinStandardHelpOptions = true,
        description = "Record this build's schemas as released version VERSION under RESOURCES/released/"
                + " (RESOURCES is schemas/src/main/resources in a source tree).")
final class ReleaseSchemasCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RESOURCES")
    Path resources;

    @Parameters(index = "1", paramLabel = "VERSION")
    String version;

    @Override
    public Integer call() {
        SchemaEvolution.writeRelease(resources, version);
        System.out.println("recorded this build's schemas as release " + version + " under "
                + resources.resolve(SchemaEvolution.RELEASED));
        return 0;
    }
}
