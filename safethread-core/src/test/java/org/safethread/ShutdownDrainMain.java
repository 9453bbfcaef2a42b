package org.safethread;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Child-JVM program for {@link ShutdownDrainTest}: releases objects whose finalizers are slow,
 * then returns from main so the JVM exits while they are pending.
 * Arguments: output file, number of objects, milliseconds each finalizer sleeps.
 */
public final class ShutdownDrainMain {
    @Shareable
    static final class SlowCore {
        final Path out;
        final long sleepMs;

        SlowCore(Path out, long sleepMs) {
            this.out = out;
            this.sleepMs = sleepMs;
        }

        @Finalize
        void close() throws IOException, InterruptedException {
            Thread.sleep(sleepMs);
            Files.writeString(out, "x", StandardOpenOption.APPEND);
        }
    }

    static final class Slow extends RefCounted {
        @FinalizerCore
        final SlowCore core;

        Slow(SlowCore core) {
            this.core = core;
        }
    }

    private ShutdownDrainMain() {
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Files.writeString(out, "");
        int n = Integer.parseInt(args[1]);
        long sleep = Long.parseLong(args[2]);
        for (int i = 0; i < n; i++) {
            new Slow(new SlowCore(out, sleep)).decref();
        }
    }
}
