package org.safethread.examples;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The examples' entry point: {@code java -jar safethread-examples.jar [subcommand] [options]}.
 *
 * <p>Exit status: what the subcommand says (0 success, 1 the demo's check failed), 2 for a
 * command-line mistake.
 */
public final class Main {
    /** Exit status for a command-line mistake. */
    static final int USAGE = 2;

    private Main() {
    }

    static String help() {
        String nl = System.lineSeparator();
        return String.join(nl,
                "safethread examples: python-safethread's object model on the JVM, doing real work.",
                "",
                "usage: java -jar safethread-examples.jar [subcommand] [options]",
                "       java -jar safethread-examples.jar --help",
                "",
                "subcommands:",
                "  " + BankCommand.HELP.replace(nl, nl + "  "),
                "",
                "  " + ResourcesCommand.HELP.replace(nl, nl + "  "),
                "",
                "options for every subcommand:",
                "  --verbose   show the library's DEBUG log (org.safethread) on stderr; by default WARN and up",
                "  --help, -h  this text",
                "",
                "Numbers are whole numbers: --threads 8 or --threads=8. The library's settings are system",
                "properties, e.g. java -Dsafethread.collector.threshold=1000 -jar safethread-examples.jar resources",
                "");
    }

    /**
     * Runs the CLI without exiting.
     *
     * @return the exit status
     */
    static int run(String[] argv, PrintStream out, PrintStream err) {
        List<String> args = new ArrayList<>(Arrays.asList(argv));
        if (args.contains("--help") || args.contains("-h") || (!args.isEmpty() && args.get(0).equals("help"))) {
            out.print(help());
            return 0;
        }
        if (args.remove("--verbose")) {
            // Before any logger exists: slf4j-simple reads its configuration once, at the first logger.
            System.setProperty("org.slf4j.simpleLogger.log.org.safethread", "debug");
        }
        String command = "bank";
        if (!args.isEmpty() && !args.get(0).startsWith("-")) {
            command = args.remove(0);
        }
        try {
            switch (command) {
                case "bank":
                    return BankCommand.run(args, out);
                case "resources":
                    return ResourcesCommand.run(args, out);
                default:
                    throw new Args.UsageException("unknown subcommand '" + command + "' (subcommands: bank, "
                            + "resources; see --help)");
            }
        } catch (Args.UsageException e) {
            err.println("error: " + e.getMessage());
            err.println("usage: java -jar safethread-examples.jar [bank|resources] [options]   (--help for more)");
            return USAGE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("interrupted");
            return 1;
        }
    }

    /** @param args the command line */
    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        System.out.flush();
        System.exit(status);
    }
}
