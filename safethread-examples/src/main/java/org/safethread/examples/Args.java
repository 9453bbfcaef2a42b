package org.safethread.examples;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Hand-written parsing of one subcommand's options: {@code --name value}, {@code --name=value}
 * and flags ({@code --plain}). Anything it does not know is an error, reported with
 * {@link UsageException} (the CLI prints it and exits with status 2).
 */
final class Args {
    /** A command-line mistake; its message is shown to the user as it is. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    private final String command;
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();

    private Args(String command) {
        this.command = command;
    }

    /**
     * @param command the subcommand, for messages
     * @param args the arguments after the subcommand
     * @param valueOptions options that take a value (without the leading dashes)
     * @param flagOptions options that take none
     */
    static Args parse(String command, List<String> args, Set<String> valueOptions, Set<String> flagOptions)
            throws UsageException {
        Args a = new Args(command);
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException(command + ": unexpected argument '" + arg + "' (options start with --; "
                        + "see --help)");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (flagOptions.contains(name)) {
                if (value != null) {
                    throw new UsageException(command + ": --" + name + " takes no value");
                }
                a.flags.add(name);
            } else if (valueOptions.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                        throw new UsageException(command + ": --" + name + " needs a value");
                    }
                    value = args.get(++i);
                }
                if (a.values.put(name, value) != null) {
                    throw new UsageException(command + ": --" + name + " given twice");
                }
            } else {
                throw new UsageException(command + ": unknown option --" + name + " (see --help)");
            }
        }
        return a;
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    /** @return the option's value as an int in [min, max], or {@code dflt} when absent */
    int intValue(String name, int dflt, int min, int max) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " needs a whole number, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new UsageException(command + ": --" + name + " must be between " + min + " and " + max
                    + ", got " + n);
        }
        return n;
    }
}
