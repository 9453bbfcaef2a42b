package org.safethread.stress.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.safethread.Finalize;
import org.safethread.FinalizerCore;
import org.safethread.Monitor;
import org.safethread.Ref;
import org.safethread.RefCounted;
import org.safethread.SafeThread;
import org.safethread.Shareable;

/**
 * Counted buffers whose finalizer cores give their bytes back to a {@link Budget} monitor,
 * passed between threads through a {@link Mailbox} monitor, some tied into two-object
 * {@link Ref} cycles that only the collector can free; plain objects given to
 * {@link SafeThread#register} that the JVM collects; threads that make a buffer, hand it on and
 * end (the owner's counts must then be merged for it); and finalizers that throw, throw an
 * exception whose {@code toString} throws, or hang past the stall timeout.
 */
final class Resources {
    static final long BUDGET_BYTES = 4L << 20;
    private static final Duration ALLOCATE_WAIT = Duration.ofMillis(5);
    private static final Duration MAILBOX_WAIT = Duration.ofMillis(2);
    /** One finalizer in this many throws; as many throw an exception whose toString throws. */
    static final int THROW_ONE_IN = 200;
    /** One finalizer in this many hangs for {@link #hangMillis}. */
    static final int HANG_ONE_IN = 20_000;

    static final int NONE = 0;
    static final int THROW = 1;
    static final int BAD_TO_STRING = 2;
    static final int HANG = 3;

    /** What finalizer cores record; shared by all of them. */
    @Shareable
    static final class Ledger {
        final LongAdder bufferRuns = new LongAdder();
        final LongAdder registrationRuns = new LongAdder();
        final LongAdder doubleRuns = new LongAdder();
        final LongAdder throwsRun = new LongAdder();
        final LongAdder badToStringRun = new LongAdder();
        final LongAdder hangsRun = new LongAdder();
    }

    /** An exception whose {@code toString} and {@code getMessage} throw, for the finalizer thread to contain. */
    static final class HostileException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            throw new IllegalStateException("soak: getMessage of a hostile exception");
        }

        @Override
        public String toString() {
            throw new IllegalStateException("soak: toString of a hostile exception");
        }
    }

    /** A buffer's finalizer core: gives the bytes back, once. */
    @Shareable
    static final class BufferCore {
        private final Budget budget;
        private final long bytes;
        private final Ledger ledger;
        private final int fault;
        private final long hangMillis;
        private final boolean skip;
        private final boolean twice;
        private final AtomicBoolean ran = new AtomicBoolean();

        BufferCore(Budget budget, long bytes, Ledger ledger, int fault, long hangMillis, boolean skip, boolean twice) {
            this.budget = budget;
            this.bytes = bytes;
            this.ledger = ledger;
            this.fault = fault;
            this.hangMillis = hangMillis;
            this.skip = skip;
            this.twice = twice;
        }

        @Finalize
        void free() throws InterruptedException {
            if (skip) {
                return;   // --break=skip-finalizer: as if it never ran
            }
            body();
            if (twice) {
                body();   // --break=double-finalizer
            }
        }

        private void body() throws InterruptedException {
            if (!ran.compareAndSet(false, true)) {
                ledger.doubleRuns.increment();
            }
            ledger.bufferRuns.increment();
            budget.free(bytes);
            switch (fault) {
                case THROW:
                    ledger.throwsRun.increment();
                    throw new IllegalStateException("soak: injected finalizer failure");
                case BAD_TO_STRING:
                    ledger.badToStringRun.increment();
                    throw new HostileException();
                case HANG:
                    ledger.hangsRun.increment();
                    Thread.sleep(hangMillis);
                    break;
                default:
                    break;
            }
        }
    }

    /** A counted buffer; shareable: its fields are final or thread-safe {@code Ref}s. */
    @Shareable
    static final class Buffer extends RefCounted {
        @FinalizerCore
        private final BufferCore core;
        final Ref<Buffer> peer = new Ref<>();
        /** Made by {@code makeCycle}: the collector may kill it (see {@link KillLedger}). */
        final boolean cycleMember;

        Buffer(BufferCore core, boolean cycleMember) {
            this.core = core;
            this.cycleMember = cycleMember;
        }
    }

    /** The core of a plain registered object. */
    @Shareable
    static final class RegistrationCore {
        private final Ledger ledger;
        private final AtomicBoolean ran = new AtomicBoolean();

        RegistrationCore(Ledger ledger) {
            this.ledger = ledger;
        }

        @Finalize
        void done() {
            if (!ran.compareAndSet(false, true)) {
                ledger.doubleRuns.increment();
            }
            ledger.registrationRuns.increment();
        }
    }

    /** A plain object finalized when the JVM collects it. */
    static final class Registered {
        @FinalizerCore
        private final RegistrationCore core;
        @SuppressWarnings("unused")
        private final byte[] payload = new byte[64];

        Registered(RegistrationCore core) {
            this.core = core;
        }
    }

    /** A counted object with nothing to finalize (the thread burst makes these). */
    static final class Token extends RefCounted {
    }

    final Budget budget = Monitor.of(new Budget(BUDGET_BYTES));
    final Mailbox<Buffer> mailbox = Monitor.of(new Mailbox<Buffer>(64));
    final Ledger ledger = new Ledger();
    private final Set<Break> breaks;
    private final long hangMillis;
    private final Violations violations;
    final LongAdder buffers = new LongAdder();
    final LongAdder bytesAllocated = new LongAdder();
    final LongAdder tokens = new LongAdder();
    final LongAdder cycles = new LongAdder();
    final LongAdder registrations = new LongAdder();
    final LongAdder endingOwners = new LongAdder();
    final LongAdder exhausted = new LongAdder();
    final LongAdder interrupts = new LongAdder();
    final LongAdder throwsPlanned = new LongAdder();
    final LongAdder hangsPlanned = new LongAdder();
    final AtomicInteger endingOwnersRunning = new AtomicInteger();
    private final AtomicBoolean skipped = new AtomicBoolean();
    private final AtomicBoolean doubled = new AtomicBoolean();
    private final AtomicBoolean leaked = new AtomicBoolean();
    private final AtomicBoolean uncounted = new AtomicBoolean();
    /** --break=leak-buffer: the buffer whose reference is never released. */
    private final List<Buffer> leakedBuffers = new ArrayList<>();
    /** --break=leak-heap: garbage kept reachable forever. */
    private final List<byte[]> heapLeak = new ArrayList<>();

    Resources(Violations violations, Set<Break> breaks, long hangMillis) {
        this.violations = violations;
        this.breaks = breaks;
        this.hangMillis = hangMillis;
    }

    List<Thread> workers(int n, AtomicBoolean stop) {
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> work(stop), "soak-resources-" + i);
            t.setDaemon(true);
            ts.add(t);
        }
        return ts;
    }

    private void work(AtomicBoolean stop) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (!stop.get()) {
            int r = rnd.nextInt(100);
            try {
                if (r < 45) {
                    send(makeBuffer(false));
                } else if (r < 60) {
                    makeCycle();
                } else if (r < 92) {
                    receiveOne(MAILBOX_WAIT);
                } else if (r < 97) {
                    SafeThread.register(new Registered(new RegistrationCore(ledger)));
                    registrations.increment();
                } else {
                    spawnEndingOwner();
                }
            } catch (InterruptedException e) {
                interrupts.increment();
            }
        }
    }

    /**
     * @param cycleMember whether it is made to be half of a garbage cycle
     * @return a new buffer holding its bytes of the budget, or null if the budget was exhausted
     */
    Buffer makeBuffer(boolean cycleMember) throws InterruptedException {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        long bytes = 1024L * (1 + rnd.nextInt(64));
        if (!budget.allocate(bytes, ALLOCATE_WAIT)) {
            exhausted.increment();
            SafeThread.collect();   // cycles hold bytes until the collector finds them
            return null;
        }
        int fault = NONE;
        int f = rnd.nextInt(THROW_ONE_IN * 2);
        if (f == 0) {
            fault = THROW;
        } else if (f == 1) {
            fault = BAD_TO_STRING;
        } else if (rnd.nextInt(HANG_ONE_IN) == 0) {
            fault = HANG;
            hangsPlanned.increment();
        }
        if (fault == THROW || fault == BAD_TO_STRING) {
            throwsPlanned.increment();
        }
        boolean skip = breaks.contains(Break.SKIP_FINALIZER) && skipped.compareAndSet(false, true);
        boolean twice = breaks.contains(Break.DOUBLE_FINALIZER) && doubled.compareAndSet(false, true);
        Buffer b = new Buffer(new BufferCore(budget, bytes, ledger, fault, hangMillis, skip, twice), cycleMember);
        buffers.increment();
        bytesAllocated.add(bytes);
        if (breaks.contains(Break.LEAK_HEAP) && rnd.nextInt(20) == 0) {
            synchronized (heapLeak) {
                heapLeak.add(new byte[64 * 1024]);
            }
        }
        return b;
    }

    /** Hands {@code b}'s reference to the mailbox, or releases it if the mailbox stays full. */
    void send(Buffer b) throws InterruptedException {
        if (b == null) {
            return;
        }
        boolean sent = false;
        try {
            sent = mailbox.offer(b, MAILBOX_WAIT);
        } finally {
            if (!sent) {
                release(b);
            }
        }
    }

    private void release(Buffer b) {
        if (breaks.contains(Break.LEAK_BUFFER) && leaked.compareAndSet(false, true)) {
            // --break=leak-buffer: the last reference is kept, never released. (Dropped without a
            // decref instead, the buffer would be caught by the runtime's leak detection when the
            // JVM collects it: its core runs, and only the stats check sees leaksDetected = 1.)
            synchronized (leakedBuffers) {
                leakedBuffers.add(b);
            }
            return;
        }
        b.decref();
    }

    private void makeCycle() throws InterruptedException {
        Buffer a = makeBuffer(true);
        if (a == null) {
            return;
        }
        Buffer b;
        try {
            b = makeBuffer(true);
        } catch (InterruptedException e) {
            a.decref();
            throw e;
        }
        if (b == null) {
            a.decref();
            return;
        }
        a.peer.set(b);
        b.peer.set(a);
        a.decref();
        b.decref();   // now only the cycle keeps them: garbage for the collector
        if (breaks.contains(Break.UNCOUNTED_CYCLE) && uncounted.compareAndSet(false, true)) {
            return;   // --break=uncounted-cycle: made, not counted (the collector finds 2 more)
        }
        cycles.increment();
    }

    /** Takes one buffer from the mailbox and releases it. @return whether there was one */
    boolean receiveOne(Duration wait) throws InterruptedException {
        Buffer b = wait.isZero() ? mailbox.poll() : mailbox.poll(wait);
        if (b == null) {
            return false;
        }
        if (!b.isAlive()) {
            violations.record("counts", "a buffer taken from the mailbox, with its reference, was already dead");
        }
        release(b);
        return true;
    }

    /** A thread that makes a buffer, hands it to the mailbox and ends: its counts are merged for it. */
    private void spawnEndingOwner() {
        endingOwnersRunning.incrementAndGet();
        Thread t = new Thread(() -> {
            try {
                send(makeBuffer(false));
            } catch (InterruptedException e) {
                interrupts.increment();
            } finally {
                endingOwnersRunning.decrementAndGet();
            }
        }, "soak-ending-owner");
        t.setDaemon(true);
        endingOwners.increment();
        t.start();
    }
}
