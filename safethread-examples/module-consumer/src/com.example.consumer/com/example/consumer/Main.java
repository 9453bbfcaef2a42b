package com.example.consumer;

import com.example.consumer.monitors.Tally;
import com.example.consumer.resources.Block;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.safethread.Branch;
import org.safethread.Monitor;
import org.safethread.SafeThread;

/**
 * Uses safethread from a named module: a monitor shared by a branch's children, counted blocks
 * with finalizer cores (one freed at its last release, two in a cycle freed by the collector),
 * then {@code SafeThread.shutdown}. With argument {@code refused} (the module compiled without
 * its {@code opens}) it checks instead that each use is refused with a message saying which
 * package to open. Prints what it saw; exit status 1 on any surprise.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        check(Main.class.getModule().isNamed() && SafeThread.class.getModule().isNamed(),
                "both modules are named: " + Main.class.getModule() + ", " + SafeThread.class.getModule());
        System.out.println("modules: " + Main.class.getModule().getName() + " uses "
                + SafeThread.class.getModule().getName() + " on " + Runtime.version());
        if (args.length > 0 && args[0].equals("refused")) {
            refused();
            return;
        }
        Tally tally = Monitor.of(new Tally());
        try (Branch b = Branch.open()) {
            for (int i = 0; i < 4; i++) {
                b.fork(() -> {
                    for (int k = 0; k < 1_000; k++) {
                        tally.add(1);
                    }
                });
            }
            b.join();
        }
        check(tally.count() == 4_000, "the monitor counted 4000: " + tally.count());

        new Block().decref(); // freed at its last release
        Block a = new Block();
        Block c = new Block();
        a.next.set(c);
        c.next.set(a); // a cycle: only the collector frees it
        a.decref();
        c.decref();
        SafeThread.collect();
        check(SafeThread.awaitFinalizers(Duration.ofSeconds(30)), "finalizers ran");
        check(Block.FREED.get() == 3, "3 blocks freed: " + Block.FREED.get());
        check(SafeThread.shutdown(Duration.ofSeconds(30)), "shutdown drained and stopped");
        System.out.println("consumer: monitor 4000, blocks freed 3, shutdown true: OK");
    }

    /** Without the opens, each use is refused, naming the package to open. */
    private static void refused() {
        List<String> seen = new ArrayList<>();
        expectRefusal(() -> Monitor.of(new Tally()), "com.example.consumer.monitors", seen);
        expectRefusal(() -> new Block().decref(), "com.example.consumer.resources", seen);
        expectRefusal(() -> {
            try (Branch b = Branch.open()) {
                b.fork(() -> seen.size()); // captures a list: not shareable, and unreadable here
                b.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, "com.example.consumer", seen);
        for (String s : seen) {
            System.out.println("refused: " + s);
        }
        System.out.println("consumer: without opens, each use refused naming the package to open: OK");
    }

    private static void expectRefusal(Runnable use, String pkg, List<String> seen) {
        try {
            use.run();
        } catch (RuntimeException e) {
            String m = String.valueOf(e.getMessage());
            check(m.contains("opens " + pkg + " to org.safethread") || m.contains("open package " + pkg + " to org.safethread"),
                    "the refusal says to open " + pkg + ": " + e);
            seen.add(e.getClass().getSimpleName() + ": " + m);
            return;
        }
        check(false, "a use in " + pkg + " without opens was not refused");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
