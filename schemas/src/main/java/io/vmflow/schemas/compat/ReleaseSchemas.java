package io.vmflow.schemas.compat;

import java.nio.file.Path;

/**
 * Records the current schemas as a released version, so later builds check against them:
 * {@code java -cp ... io.vmflow.schemas.compat.ReleaseSchemas schemas/src/main/resources 0.2.0}.
 */
public final class ReleaseSchemas {

    private ReleaseSchemas() {
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: ReleaseSchemas <schemas/src/main/resources> <version>");
            System.exit(2);
        }
        SchemaEvolution.writeRelease(Path.of(args[0]), args[1]);
        System.out.println("recorded the current schemas as release " + args[1] + " under " + args[0] + "/"
                + SchemaEvolution.RELEASED);
    }
}
