package org.safethread;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** Work for {@link ContextPlugin} that makes the runtime start each of its threads. */
public final class ContextParts {
    private ContextParts() {
    }

    @Shareable
    static final class Core {
        static final AtomicInteger RAN = new AtomicInteger();

        @Finalize
        void done() {
            RAN.incrementAndGet();
        }
    }

    static final class WithCore extends RefCounted {
        @FinalizerCore
        final Core core = new Core();
    }

    static final class Node extends RefCounted {
        final Ref<Node> next = new Ref<>();
    }

    static final class Registered {
        @FinalizerCore
        final Core core = new Core();
    }

    public static void startEveryRuntimeThread() throws Exception {
        new WithCore().decref(); // finalizer, housekeeper, shutdown hook
        SafeThread.register(new Registered());
        SafeThread.awaitFinalizers(Duration.ofSeconds(10));
        for (int i = 0; i < 2_000; i++) { // garbage cycles past the threshold: the background collector
            Node a = new Node();
            Node b = new Node();
            a.next.set(b);
            b.next.set(a);
            a.decref();
            b.decref();
        }
        SafeThread.poll();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!RuntimeThreadContextMain.running("safethread-collector") && System.nanoTime() < deadline) {
            SafeThread.poll();
            Thread.sleep(5);
        }
    }
}
