package org.safethread.examples;

import picocli.CommandLine.Option;

/** {@code --verbose}, mixed into every subcommand. */
final class Verbose {
    @Option(names = "--verbose",
            description = "show the library's DEBUG log (org.safethread) on stderr; by default WARN and up")
    void verbose(boolean on) {
        if (on) {
            // Before any logger exists: slf4j-simple reads its configuration once, at the first logger.
            System.setProperty("org.slf4j.simpleLogger.log.org.safethread", "debug");
        }
    }
}
