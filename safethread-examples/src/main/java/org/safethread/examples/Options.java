package org.safethread.examples;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Range checks for the subcommands' numeric options, reported as command-line mistakes (exit 2). */
final class Options {
    private Options() {
    }

    /**
     * @param spec the subcommand (for the error)
     * @param option the option's name, e.g. {@code --threads}
     * @return {@code value} if it lies in [min, max]
     * @throws ParameterException if not, saying the range
     */
    static int range(CommandSpec spec, String option, int value, int min, int max) {
        if (value < min || value > max) {
            throw new ParameterException(spec.commandLine(), option + " must be between " + min + " and " + max
                    + ", got " + value);
        }
        return value;
    }
}
