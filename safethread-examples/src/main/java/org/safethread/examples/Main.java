package org.safethread.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The examples' entry point: {@code java -jar safethread-examples.jar [subcommand] [options]},
 * parsed by picocli.
 *
 * <p>Exit status: what the subcommand says (0 success, 1 the demo's check failed), {@link #USAGE}
 * (2) for a command-line mistake, in which case the error, picocli's suggestions for a mistyped
 * option or subcommand, and the synopsis go to stderr. {@code bank} is the default subcommand:
 * options with no subcommand before them are {@code bank}'s.
 */
@Command(name = "java -jar safethread-examples.jar",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        subcommands = {BankCommand.class, ResourcesCommand.class, IndexCommand.class, CommandLine.HelpCommand.class},
        synopsisSubcommandLabel = "[bank | resources | index | help] [options]",
        description = {"safethread examples: python-safethread's object model on the JVM, doing real work.",
                "With no subcommand, runs bank. '<subcommand> --help' explains each one."},
        commandListHeading = "%nSubcommands:%n",
        footerHeading = "%n",
        footer = {"Numbers are whole numbers: --threads 8 or --threads=8. The library's settings are system",
                "properties, e.g. java -Dsafethread.collector.threshold=1000 -jar safethread-examples.jar resources"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:the demo showed what it should", "1:the demo's check failed (see its --help)",
                "2:a command-line mistake"})
public final class Main implements Runnable {
    /** Exit status for a command-line mistake (picocli's default for invalid input). */
    static final int USAGE = 2;
    /** Columns of the help text: the longest description line, 104, plus picocli's indentation. */
    static final int USAGE_WIDTH = 110;

    /** The names that pick a subcommand (anything else first on the line is bank's). */
    private static final Set<String> TOP_LEVEL = Set.of("bank", "resources", "index", "help", "-h", "--help", "-V",
            "--version");

    @Spec
    private CommandSpec spec;

    Main() {
    }

    @Override
    public void run() {
        // Reached only when no subcommand was named and nothing was given (see withDefaultSubcommand).
        throw new ParameterException(spec.commandLine(), "missing subcommand");
    }

    /** {@code --version}: this jar's version, the JVM and the OS. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {
                "safethread-examples " + p.getProperty("version", "(unknown version)"),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                        + System.getProperty("java.vendor") + "), " + System.getProperty("os.name") + " "
                        + System.getProperty("os.arch"),
            };
        }
    }

    /** @return the command line with picocli set up as the CLI uses it (streams, error handler) */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setParameterExceptionHandler(Main::usageError);
        // The descriptions are written as lines of up to 104 characters; picocli's default of 80
        // would re-wrap each of them into a long and a short line.
        cmd.setUsageHelpWidth(USAGE_WIDTH);
        return cmd;
    }

    /** A command-line mistake: the message, suggestions, the synopsis and where to read more. */
    private static int usageError(ParameterException e, String[] args) {
        CommandLine c = e.getCommandLine();
        PrintWriter err = c.getErr();
        err.println("error: " + e.getMessage());
        if (!UnmatchedArgumentException.printSuggestions(e, err)) {
            // picocli ranks subcommands by shared letter pairs, which misses swapped letters ("bnak").
            String near = nearestSubcommand(e);
            if (near != null) {
                err.println("Did you mean: " + near + "?");
            }
        }
        err.print("usage: " + c.getHelp().synopsis("usage: ".length()));
        err.println("(" + c.getCommandSpec().qualifiedName() + " --help for more)");
        err.flush();
        return USAGE;
    }

    /**
     * @return the subcommand within edit distance 2 of a mistyped first argument (swaps count
     *     as one edit), or null
     */
    private static String nearestSubcommand(ParameterException e) {
        if (!(e instanceof UnmatchedArgumentException)) {
            return null;
        }
        List<String> unmatched = ((UnmatchedArgumentException) e).getUnmatched();
        Map<String, CommandLine> subs = e.getCommandLine().getSubcommands();
        if (unmatched.isEmpty() || subs.isEmpty() || unmatched.get(0).startsWith("-")) {
            return null;
        }
        String typed = unmatched.get(0);
        String best = null;
        int bestDistance = 3;
        for (String name : subs.keySet()) {
            int d = editDistance(typed, name);
            if (d < bestDistance) {
                bestDistance = d;
                best = name;
            }
        }
        return best;
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /** bank is the default: put it in front when the line starts with an option other than help/version. */
    static String[] withDefaultSubcommand(String[] argv) {
        if (argv.length > 0 && !argv[0].startsWith("-")) {
            return argv;
        }
        for (String a : argv) {
            if (TOP_LEVEL.contains(a)) {
                return argv;
            }
        }
        List<String> l = new ArrayList<>(Arrays.asList(argv));
        l.add(0, "bank");
        return l.toArray(new String[0]);
    }

    /**
     * Runs the CLI without exiting.
     *
     * @return the exit status
     */
    static int run(String[] argv, PrintStream out, PrintStream err) {
        // The platform charset, as System.out uses (PrintStream.charset() is JDK 18+).
        PrintWriter o = new PrintWriter(new OutputStreamWriter(out, Charset.defaultCharset()), true);
        PrintWriter e = new PrintWriter(new OutputStreamWriter(err, Charset.defaultCharset()), true);
        try {
            return commandLine(o, e).execute(withDefaultSubcommand(argv));
        } finally {
            o.flush();
            e.flush();
        }
    }

    /** @param args the command line */
    public static void main(String[] args) {
        // Before any AWT class loads: resources --chart draws with Java2D and needs no display.
        System.setProperty("java.awt.headless", "true");
        int status = run(args, System.out, System.err);
        System.out.flush();
        System.exit(status);
    }
}
