package org.safethread.examples;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.safethread.Finalize;
import org.safethread.Monitor;
import org.safethread.FinalizerCore;
import org.safethread.Ref;
import org.safethread.RefCounted;
import org.safethread.RuntimeStats;
import org.safethread.SafeThread;
import org.safethread.Shareable;

/**
 * Shared off-heap buffers, freed deterministically by safethread, compared with
 * {@link java.lang.ref.Cleaner}.
 *
 * <p>Worker threads sit in a ring; each one, over and over, allocates a direct buffer, fills it,
 * hands it to the next thread through a {@link Mailbox} monitor, and takes one from the previous
 * thread, checks its contents and releases it. Every {@code cycleEvery}-th buffer is cut into two
 * slices (a header and a body) that keep their parent alive through a {@link Ref}, while the
 * parent keeps its slices in {@code Ref} fields: a reference cycle, which reference counting
 * alone can never free.
 *
 * <ul>
 *   <li><b>safethread</b> ({@link #runSafeThread}): a buffer is a {@link RefCounted} handle whose
 *       {@link FinalizerCore} owns the memory and frees it in its {@link Finalize} method. A plain
 *       buffer is freed as soon as the last reference is released; a sliced one when the cycle
 *       collector finds the group ({@link SafeThread#collect()}, run by the background collector
 *       or by a producer whose memory budget is exhausted). At the end, after a collection and
 *       {@link SafeThread#awaitFinalizers}, no byte may be left.</li>
 *   <li><b>Cleaner</b> ({@link #runCleaner}): the same workload with plain objects and a cleaning
 *       action that frees the memory. Nothing is freed until the JVM's collector notices the
 *       buffers are unreachable; a producer whose budget is exhausted can only call
 *       {@link System#gc()} and wait, as {@code ByteBuffer.allocateDirect} itself does.</li>
 * </ul>
 * The CLI ({@code resources}) and the tests share this class.
 */
public final class ResourcesWorkload {
    /** How long a worker waits to hand a buffer on before it works on its own queue meanwhile. */
    private static final Duration OFFER_WAIT = Duration.ofMillis(2);
    /** How long a worker waits for a buffer from the previous thread. */
    private static final Duration POLL_WAIT = Duration.ofMillis(2);
    /** Capacity of each thread's incoming queue. */
    static final int QUEUE_CAPACITY = 4;
    /** Buffers each thread may have in flight (its queue, one in hand, one being checked), and some slack. */
    static final int BUFFERS_PER_THREAD = QUEUE_CAPACITY + 4;
    /** Bytes at the start of every buffer that the header slice covers. */
    static final int HEADER_BYTES = 64;
    private static final long MIX = 0x9E3779B97F4A7C15L;

    /**
     * What to run.
     *
     * @param threads worker threads in the ring (at least 1)
     * @param duration how long each variant runs
     * @param bufferBytes size of each buffer (at least 1 KiB, a multiple of 8)
     * @param budgetBytes bytes held at most before a producer must get memory back
     * @param cycleEvery every how many buffers one is sliced into a cycle (1 = all)
     */
    public record Config(int threads, Duration duration, int bufferBytes, long budgetBytes, int cycleEvery) {
        public Config {
            Objects.requireNonNull(duration, "duration");
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + threads);
            }
            if (bufferBytes < 1024 || bufferBytes % 8 != 0) {
                throw new IllegalArgumentException("bufferBytes must be at least 1024 and a multiple of 8, got "
                        + bufferBytes);
            }
            if (budgetBytes < minBudget(threads, bufferBytes)) {
                throw new IllegalArgumentException("budgetBytes must hold at least " + BUFFERS_PER_THREAD
                        + " buffers per thread (" + minBudget(threads, bufferBytes) + " bytes), got " + budgetBytes);
            }
            if (cycleEvery < 1) {
                throw new IllegalArgumentException("cycleEvery must be at least 1, got " + cycleEvery);
            }
        }

        /** @return the smallest budget that lets {@code threads} threads keep their buffers in flight */
        public static long minBudget(int threads, int bufferBytes) {
            return (long) BUFFERS_PER_THREAD * threads * bufferBytes;
        }

        /** @return the CLI's defaults: 4 threads, 5 s, 64 KiB buffers, a 128 MiB budget, every 4th a cycle */
        public static Config defaults() {
            return new Config(4, Duration.ofSeconds(5), 64 * 1024, 128L << 20, 4);
        }

        public Config withThreads(int n) {
            return new Config(n, duration, bufferBytes, budgetBytes, cycleEvery);
        }

        public Config withDuration(Duration d) {
            return new Config(threads, d, bufferBytes, budgetBytes, cycleEvery);
        }

        public Config withBufferBytes(int b) {
            return new Config(threads, duration, b, budgetBytes, cycleEvery);
        }

        public Config withBudgetBytes(long b) {
            return new Config(threads, duration, bufferBytes, b, cycleEvery);
        }
    }

    /**
     * One progress report, once a second.
     *
     * @param elapsed time since the workers started
     * @param buffersPerSecond buffers produced in the last interval, per second
     * @param bytesHeld bytes allocated and not yet freed now
     * @param bytesHeldInCycles of those, bytes of buffers sliced into cycles
     * @param peakBytesHeld the most bytes held so far
     * @param bytesFreed bytes freed so far
     * @param reliefs times a producer had to get memory back (collect or System.gc) so far
     */
    public record Sample(Duration elapsed, long buffersPerSecond, long bytesHeld, long bytesHeldInCycles,
            long peakBytesHeld, long bytesFreed, long reliefs) {
    }

    /**
     * Bytes held at one moment of a run (sampled every 10 ms while the workers run).
     *
     * @param millis milliseconds since the workers started
     * @param bytesHeld bytes allocated and not yet freed then
     */
    public record Point(long millis, long bytesHeld) {
    }

    /**
     * What a variant did (fields common to both).
     *
     * @param elapsed how long the workers ran
     * @param buffers buffers allocated
     * @param cycles of them, sliced into a cycle
     * @param bytesAllocated bytes allocated
     * @param peakBytesHeld the most bytes held at once
     * @param averageBytesHeld bytes held on average while the workers ran (sampled every 10 ms)
     * @param averageBytesHeldInCycles of those, bytes of buffers sliced into cycles
     * @param heldRightAfter bytes still held when the workers had stopped and every reference was dropped
     * @param heldAtEnd bytes still held after the clean-up (collect + await finalizers, or System.gc + wait)
     * @param cleanup how long the clean-up took
     * @param reliefs times a producer had to get memory back because the budget was exhausted
     * @param reliefTime time producers spent getting it
     * @param failures corrupted buffers, worker errors; empty when all went well
     * @param timeline bytes held over time, every 10 ms while the workers ran
     */
    public record Outcome(Duration elapsed, long buffers, long cycles, long bytesAllocated, long peakBytesHeld,
            long averageBytesHeld, long averageBytesHeldInCycles, long heldRightAfter, long heldAtEnd, Duration cleanup, long reliefs, Duration reliefTime,
            List<String> failures, List<Point> timeline) {
        public Outcome {
            failures = List.copyOf(failures);
            timeline = List.copyOf(timeline);
        }

        /** @return buffers allocated per second of the run */
        public long buffersPerSecond() {
            return buffers * 1_000_000_000L / Math.max(1, elapsed.toNanos());
        }
    }

    /**
     * The safethread variant's outcome.
     *
     * @param outcome what it did
     * @param cleanupRounds rounds of collect + awaitFinalizers until nothing was held (or it gave up)
     * @param collections collections during the run ({@code SafeThread.stats()}, background ones included)
     * @param objectsCollected objects the collector made to die
     * @param finalizersRun finalizer cores run
     * @param finalizerFailures finalizer cores that threw
     * @param leaksDetected objects the JVM collected while still counted
     */
    public record SafeThreadResult(Outcome outcome, int cleanupRounds, long collections, long objectsCollected,
            long finalizersRun, long finalizerFailures, long leaksDetected) {
        /** @return no byte held at the end, no failure */
        public boolean succeeded() {
            return outcome.heldAtEnd() == 0 && outcome.failures().isEmpty() && finalizerFailures == 0;
        }
    }

    /**
     * The Cleaner variant's outcome.
     *
     * @param outcome what it did ({@code heldAtEnd}: after {@code System.gc()} and the wait)
     */
    public record CleanerResult(Outcome outcome) {
    }

    // ---------------------------------------------------------------- accounting

    /**
     * Bytes allocated and freed, counted by the allocating code and by the freeing cores, apart
     * for plain buffers and buffers sliced into cycles.
     */
    @Shareable
    static final class Meter {
        private final AtomicLong allocated = new AtomicLong();
        private final AtomicLong freed = new AtomicLong();
        private final AtomicLong cycleAllocated = new AtomicLong();
        private final AtomicLong cycleFreed = new AtomicLong();
        private final AtomicLong peak = new AtomicLong();
        private final LongAdder buffers = new LongAdder();
        private final LongAdder cycles = new LongAdder();

        void allocated(long bytes, boolean cycle) {
            if (cycle) {
                cycleAllocated.addAndGet(bytes);
                cycles.increment();
            }
            long now = allocated.addAndGet(bytes) - freed.get();
            peak.accumulateAndGet(now, Math::max);
            buffers.increment();
        }

        void freed(long bytes, boolean cycle) {
            if (cycle) {
                cycleFreed.addAndGet(bytes);
            }
            freed.addAndGet(bytes);
        }

        /** @return bytes allocated and not freed now */
        long held() {
            long f = freed.get();   // read first: every free follows its allocation, so this never goes negative
            return allocated.get() - f;
        }

        /** @return of {@link #held()}, the bytes of buffers sliced into cycles */
        long heldInCycles() {
            long f = cycleFreed.get();
            return cycleAllocated.get() - f;
        }

        long allocated() {
            return allocated.get();
        }

        long freed() {
            return freed.get();
        }

        long peak() {
            return peak.get();
        }

        long buffers() {
            return buffers.sum();
        }

        long cycles() {
            return cycles.sum();
        }
    }

    // ---------------------------------------------------------------- the safethread handles

    /**
     * The finalizer core of a {@link SharedBuffer}: owns the memory and frees it, once, when the
     * buffer dies. It knows only the memory and the meter, never the buffer handle, so it cannot
     * resurrect it (the runtime checks that).
     */
    @Shareable
    static final class MemoryCore {
        private final ByteBuffer memory;
        private final Meter meter;
        private final boolean cycle;

        MemoryCore(ByteBuffer memory, Meter meter, boolean cycle) {
            this.memory = memory;
            this.meter = meter;
            this.cycle = cycle;
        }

        @Finalize
        void free() {
            int bytes = memory.capacity();
            DirectMemory.free(memory);
            meter.freed(bytes, cycle);
        }
    }

    /**
     * A counted handle on a direct buffer; the memory lives as long as the handle. Shareable
     * because it is filled once, by the thread that allocates it, before it is handed on (through
     * a monitor, so the filling happens-before every later read), and only read afterwards; its
     * {@code Ref}s are thread-safe.
     */
    @Shareable
    static final class SharedBuffer extends RefCounted {
        @FinalizerCore
        private final MemoryCore core;
        final long id;
        final ByteBuffer bytes;
        /** The slices, when the buffer was cut: together with their parent Refs, a cycle. */
        final Ref<BufferSlice> header = new Ref<>();
        final Ref<BufferSlice> body = new Ref<>();

        SharedBuffer(long id, int size, Meter meter, boolean cycle) {
            this.id = id;
            this.bytes = DirectMemory.allocate(size);
            this.core = new MemoryCore(bytes, meter, cycle);
            meter.allocated(size, cycle);
        }
    }

    /** A view on part of a parent buffer; keeps the parent (and so its memory) alive. */
    static final class BufferSlice extends RefCounted {
        final Ref<SharedBuffer> parent;
        final ByteBuffer view;

        BufferSlice(SharedBuffer parent, int offset, int length) {
            this.parent = new Ref<>(parent);
            this.view = parent.bytes.slice(offset, length);
        }
    }

    // ---------------------------------------------------------------- the Cleaner handles

    private static final Cleaner CLEANER = Cleaner.create();

    /**
     * The same buffer with plain references; a {@link Cleaner} frees the memory. Shareable for
     * the same reason as {@link SharedBuffer}: written once before it is handed on, then only read.
     */
    @Shareable
    static final class PlainBuffer {
        final long id;
        final ByteBuffer bytes;
        PlainSlice header;
        PlainSlice body;

        PlainBuffer(long id, int size, Meter meter, boolean cycle) {
            this.id = id;
            this.bytes = DirectMemory.allocate(size);
            meter.allocated(size, cycle);
            CLEANER.register(this, new FreeMemory(bytes, meter, cycle));
        }
    }

    /** A view on part of a plain buffer, referring back to it. */
    static final class PlainSlice {
        final PlainBuffer parent;
        final ByteBuffer view;

        PlainSlice(PlainBuffer parent, int offset, int length) {
            this.parent = parent;
            this.view = parent.bytes.slice(offset, length);
        }
    }

    /** The cleaning action: it must not refer to the buffer handle, or it would never run. */
    private static final class FreeMemory implements Runnable {
        private final ByteBuffer memory;
        private final Meter meter;
        private final boolean cycle;

        FreeMemory(ByteBuffer memory, Meter meter, boolean cycle) {
            this.memory = memory;
            this.meter = meter;
            this.cycle = cycle;
        }

        @Override
        public void run() {
            int bytes = memory.capacity();
            DirectMemory.free(memory);
            meter.freed(bytes, cycle);
        }
    }

    // ---------------------------------------------------------------- contents

    /** Writes the id and a pattern derived from it: header through {@code header}, the rest through {@code body}. */
    static void fill(long id, ByteBuffer header, ByteBuffer body) {
        header.putLong(0, id);
        header.putLong(8, id * MIX);
        header.putInt(16, body.capacity());
        for (int i = 0; i + 8 <= body.capacity(); i += 8) {
            body.putLong(i, (id + i) * MIX);
        }
    }

    /** @return null if the contents are what {@link #fill} wrote for {@code id}, else what is wrong */
    static String check(long id, ByteBuffer header, ByteBuffer body) {
        if (header.getLong(0) != id || header.getLong(8) != id * MIX || header.getInt(16) != body.capacity()) {
            return "buffer " + id + ": header corrupted (freed or overwritten while in use?)";
        }
        for (int i = 0; i + 8 <= body.capacity(); i += 8) {
            if (body.getLong(i) != (id + i) * MIX) {
                return "buffer " + id + ": byte " + (HEADER_BYTES + i) + " corrupted (freed or overwritten while in use?)";
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- the workload, generic in the handle

    /** What the ring does with one kind of handle. */
    private interface Pool<H> {
        /** Allocates, fills and maybe links a buffer; the caller holds one reference. */
        H produce(long id, boolean cycle);

        /** Checks the contents; null if fine. */
        String check(H h);

        /** Drops the caller's reference. */
        void release(H h);

        /** The budget is exhausted: get memory back if possible (may return without). */
        void relieve() throws InterruptedException;
    }

    private static final class Ring<H> {
        private final Config config;
        private final Pool<H> pool;
        private final Meter meter;
        private final List<Mailbox<H>> queues = new ArrayList<>();
        private final AtomicLong nextId = new AtomicLong();
        private final LongAdder reliefs = new LongAdder();
        private final LongAdder reliefNanos = new LongAdder();
        private final List<String> failures = new CopyOnWriteArrayList<>();
        private volatile boolean stop;
        private long samples;
        private long heldSum;
        private long heldInCyclesSum;
        private final List<Point> timeline = new ArrayList<>();

        Ring(Config config, Pool<H> pool, Meter meter) {
            this.config = config;
            this.pool = pool;
            this.meter = meter;
            for (int i = 0; i < config.threads(); i++) {
                queues.add(Monitor.of(new Mailbox<>(QUEUE_CAPACITY)));
            }
        }

        /** Runs the workers for the configured time; returns once they stopped and every buffer was released. */
        Duration run(Consumer<Sample> progress) throws InterruptedException {
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < config.threads(); i++) {
                int me = i;
                Thread t = new Thread(() -> work(me), "resources-" + (i + 1));
                t.setDaemon(true);
                workers.add(t);
            }
            long start = System.nanoTime();
            long deadline = start + config.duration().toNanos();
            for (Thread t : workers) {
                t.start();
            }
            long lastTick = start;
            long lastBuffers = 0;
            while (failures.isEmpty()) {
                long now = System.nanoTime();
                long next = Math.min(lastTick + TimeUnit.SECONDS.toNanos(1), deadline);
                TimeUnit.NANOSECONDS.sleep(Math.max(0, Math.min(next - now, TimeUnit.MILLISECONDS.toNanos(10))));
                samples++;
                long held = meter.held();
                heldSum += held;
                heldInCyclesSum += meter.heldInCycles();
                now = System.nanoTime();
                timeline.add(new Point(TimeUnit.NANOSECONDS.toMillis(now - start), held));
                if (now >= deadline) {
                    break;
                }
                if (now < next) {
                    continue;
                }
                long b = meter.buffers();
                progress.accept(new Sample(Duration.ofNanos(now - start),
                        (b - lastBuffers) * 1_000_000_000L / Math.max(1, now - lastTick), meter.held(),
                        meter.heldInCycles(), meter.peak(), meter.freed(), reliefs.sum()));
                lastTick = now;
                lastBuffers = b;
            }
            stop = true;
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            for (Thread t : workers) {
                t.join(10_000);
                if (t.isAlive()) {
                    failures.add("worker " + t.getName() + " did not stop within 10 s (state " + t.getState() + ")");
                }
            }
            for (Mailbox<H> q : queues) {
                for (H h; (h = q.poll()) != null; ) {
                    pool.release(h);
                }
            }
            return elapsed;
        }

        long averageHeld() {
            return samples == 0 ? 0 : heldSum / samples;
        }

        long averageHeldInCycles() {
            return samples == 0 ? 0 : heldInCyclesSum / samples;
        }

        private void work(int me) {
            Mailbox<H> in = queues.get(me);
            Mailbox<H> out = queues.get((me + 1) % queues.size());
            try {
                while (!stop) {
                    reserve(in);
                    long id = nextId.getAndIncrement();
                    H h = pool.produce(id, id % config.cycleEvery() == 0);
                    // Hand it on. While the next thread is behind, work on our own queue meanwhile.
                    while (h != null && !out.offer(h, OFFER_WAIT)) {
                        if (stop) {
                            pool.release(h);
                            h = null;
                        } else {
                            takeOne(in, Duration.ZERO);
                        }
                    }
                    takeOne(in, POLL_WAIT);
                }
            } catch (InterruptedException e) {
                failures.add("worker " + Thread.currentThread().getName() + " interrupted");
            } catch (Throwable t) {
                failures.add("worker " + Thread.currentThread().getName() + " failed: " + t);
                stop = true;
            }
        }

        /** Takes a buffer from the previous thread (waiting up to {@code wait}), checks and releases it. */
        private void takeOne(Mailbox<H> in, Duration wait) throws InterruptedException {
            H h = wait.isZero() ? in.poll() : in.poll(wait);
            if (h == null) {
                return;
            }
            try {
                String problem = pool.check(h);
                if (problem != null) {
                    failures.add(problem);
                    stop = true;
                }
            } finally {
                pool.release(h);
            }
        }

        /**
         * Waits until a buffer fits in the budget, getting memory back meanwhile. It keeps taking
         * buffers from its own queue, so threads waiting here do not hold each other's memory.
         */
        private void reserve(Mailbox<H> in) throws InterruptedException {
            if (meter.held() + config.bufferBytes() <= config.budgetBytes()) {
                return;
            }
            long t0 = System.nanoTime();
            long giveUp = t0 + TimeUnit.SECONDS.toNanos(10);
            reliefs.increment();
            while (!stop && meter.held() + config.bufferBytes() > config.budgetBytes()) {
                if (System.nanoTime() > giveUp) {
                    failures.add(String.format("memory did not come back: %,d bytes held for 10 s past the budget "
                            + "of %,d", meter.held(), config.budgetBytes()));
                    stop = true;
                    break;
                }
                takeOne(in, Duration.ZERO);
                pool.relieve();
            }
            reliefNanos.add(System.nanoTime() - t0);
        }
    }

    private ResourcesWorkload() {
    }

    /**
     * Runs the workload with safethread handles, then collects and waits for finalizers until no
     * byte is held (5 s at most).
     *
     * @param config what to run
     * @param progress called once a second from the calling thread
     * @return the outcome
     * @throws InterruptedException if the calling thread is interrupted
     */
    public static SafeThreadResult runSafeThread(Config config, Consumer<Sample> progress) throws InterruptedException {
        Meter meter = new Meter();
        int size = config.bufferBytes();
        Pool<SharedBuffer> pool = new Pool<>() {
            @Override
            public SharedBuffer produce(long id, boolean cycle) {
                SharedBuffer b = new SharedBuffer(id, size, meter, cycle);
                if (!cycle) {
                    fill(id, b.bytes.slice(0, HEADER_BYTES), b.bytes.slice(HEADER_BYTES, size - HEADER_BYTES));
                    return b;
                }
                BufferSlice header = new BufferSlice(b, 0, HEADER_BYTES);
                BufferSlice body = new BufferSlice(b, HEADER_BYTES, size - HEADER_BYTES);
                b.header.set(header);   // the parent's Refs count the slices ...
                b.body.set(body);
                header.decref();        // ... so our own references can go
                body.decref();
                fill(id, header.view, body.view);
                return b;
            }

            @Override
            public String check(SharedBuffer b) {
                BufferSlice header = b.header.get();   // borrowed: b keeps them alive while we hold b
                BufferSlice body = b.body.get();
                if (header == null) {
                    return ResourcesWorkload.check(b.id, b.bytes.slice(0, HEADER_BYTES),
                            b.bytes.slice(HEADER_BYTES, size - HEADER_BYTES));
                }
                return ResourcesWorkload.check(b.id, header.view, body.view);
            }

            @Override
            public void release(SharedBuffer b) {
                b.decref();   // a plain buffer dies now (its core frees the memory); a sliced one waits for the collector
            }

            @Override
            public void relieve() {
                SafeThread.collect();
                SafeThread.awaitFinalizers(Duration.ofMillis(100));
            }
        };
        RuntimeStats before = SafeThread.stats();
        Ring<SharedBuffer> ring = new Ring<>(config, pool, meter);
        Duration elapsed = ring.run(progress);

        long heldRightAfter = meter.held();
        long t0 = System.nanoTime();
        long giveUp = t0 + TimeUnit.SECONDS.toNanos(5);
        int rounds = 0;
        while (true) {
            rounds++;
            SafeThread.collect();
            SafeThread.awaitFinalizers(Duration.ofSeconds(1));
            if (meter.held() == 0 || System.nanoTime() > giveUp) {
                break;
            }
            Thread.sleep(10);   // objects released for ended owners die within 10 ms (housekeeper)
        }
        Duration cleanup = Duration.ofNanos(System.nanoTime() - t0);
        RuntimeStats after = SafeThread.stats();
        Outcome o = new Outcome(elapsed, meter.buffers(), meter.cycles(), meter.allocated(), meter.peak(),
                ring.averageHeld(), ring.averageHeldInCycles(), heldRightAfter, meter.held(), cleanup, ring.reliefs.sum(), Duration.ofNanos(ring.reliefNanos.sum()),
                ring.failures, ring.timeline);
        return new SafeThreadResult(o, rounds, after.collections() - before.collections(),
                after.objectsCollected() - before.objectsCollected(), after.finalizersRun() - before.finalizersRun(),
                after.finalizerFailures() - before.finalizerFailures(),
                after.leaksDetected() - before.leaksDetected());
    }

    /**
     * Runs the same workload with plain objects and a {@link Cleaner}, then calls
     * {@link System#gc()} and waits (up to {@code gcWait}) for the memory to come back.
     *
     * @param config what to run
     * @param gcWait how long to wait after {@code System.gc()}
     * @param progress called once a second from the calling thread
     * @return the outcome
     * @throws InterruptedException if the calling thread is interrupted
     */
    public static CleanerResult runCleaner(Config config, Duration gcWait, Consumer<Sample> progress)
            throws InterruptedException {
        Meter meter = new Meter();
        int size = config.bufferBytes();
        Pool<PlainBuffer> pool = new Pool<>() {
            @Override
            public PlainBuffer produce(long id, boolean cycle) {
                PlainBuffer b = new PlainBuffer(id, size, meter, cycle);
                if (cycle) {
                    b.header = new PlainSlice(b, 0, HEADER_BYTES);
                    b.body = new PlainSlice(b, HEADER_BYTES, size - HEADER_BYTES);
                    fill(id, b.header.view, b.body.view);
                } else {
                    fill(id, b.bytes.slice(0, HEADER_BYTES), b.bytes.slice(HEADER_BYTES, size - HEADER_BYTES));
                }
                return b;
            }

            @Override
            public String check(PlainBuffer b) {
                if (b.header == null) {
                    return ResourcesWorkload.check(b.id, b.bytes.slice(0, HEADER_BYTES),
                            b.bytes.slice(HEADER_BYTES, size - HEADER_BYTES));
                }
                return ResourcesWorkload.check(b.id, b.header.view, b.body.view);
            }

            @Override
            public void release(PlainBuffer b) {
                // nothing to do: the memory goes when the JVM's collector finds the buffer unreachable
            }

            @Override
            public void relieve() throws InterruptedException {
                // All a Cleaner user can do (and what ByteBuffer.allocateDirect does when it runs out).
                System.gc();
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
                while (meter.held() + size > config.budgetBytes() && System.nanoTime() < until) {
                    Thread.sleep(1);
                }
            }
        };
        Ring<PlainBuffer> ring = new Ring<>(config, pool, meter);
        Duration elapsed = ring.run(progress);

        long heldRightAfter = meter.held();
        long t0 = System.nanoTime();
        long until = t0 + gcWait.toNanos();
        System.gc();
        while (meter.held() > 0 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        Duration cleanup = Duration.ofNanos(System.nanoTime() - t0);
        return new CleanerResult(new Outcome(elapsed, meter.buffers(), meter.cycles(), meter.allocated(), meter.peak(),
                ring.averageHeld(), ring.averageHeldInCycles(), heldRightAfter, meter.held(), cleanup, ring.reliefs.sum(), Duration.ofNanos(ring.reliefNanos.sum()),
                ring.failures, ring.timeline));
    }
}
