package org.safethread.stress.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.safethread.DeadlockException;
import org.safethread.Shareable;
import org.safethread.SharedMap;

/**
 * {@link SharedMap} (CONTRACT §7) under load: concurrent read-modify-writes ({@code compute} as a
 * merge: +1), {@code remove}, {@code computeIfAbsent} with removals, mappings that ask for their
 * own key (a deadlock broken at once), and pairs of threads whose mappings ask for each other's
 * keys (a crossed deadlock: exactly one victim, who retries).
 *
 * <p>Checks: {@code map-counts}, at the end, per key: the value in the tally map plus what
 * {@code remove} took out of it equals the increments the workload made (no update lost or
 * doubled), and the {@code computeIfAbsent} mapping of the cells map ran exactly once per
 * absence (successful removes of the key, plus 1 if it is present at the end); {@code
 * map-deadlock}, after every crossed round: exactly one of the two first attempts was refused,
 * the map holds exactly what the survivor computed (its value and the victim's key computed by
 * its mapping), and every self-deadlock was refused with the key left absent. Victims count into
 * the {@code stats} check's {@code deadlocksBroken}.
 */
final class Maps {
    static final int KEYS = 16;
    /** How long a side of a crossed round waits for the other to arrive: generous for a loaded machine. */
    static final long RENDEZVOUS_NANOS = 30_000_000_000L;
    /**
     * Of the 8% of operations that are plain reads, one in this many is a self-deadlock instead
     * (about one in 10^5 operations: thousands a minute, not a flood of exceptions).
     */
    static final int SELF_DEADLOCK_ONE_IN = 1_000;

    /** A computeIfAbsent value: a counter of its own. */
    @Shareable
    static final class Cell {
        final LongAdder hits = new LongAdder();
    }

    /** One crossed round: both sides' mappings meet here, then ask for each other's key. */
    @Shareable
    static final class CrossRound {
        final long n;
        final AtomicInteger arrived = new AtomicInteger();
        final AtomicInteger firstVictims = new AtomicInteger();
        /** Sides that returned; a victim waits for the survivor before it retries. */
        final AtomicInteger finished = new AtomicInteger();
        final AtomicBoolean late = new AtomicBoolean();

        CrossRound(long n) {
            this.n = n;
        }

        /** Waits (spinning: interrupts do not matter here) until both sides are inside their mappings. */
        void meet() {
            arrived.incrementAndGet();
            spinUntil(arrived, 2);
        }

        /** Spins until {@code n >= target} (or {@link #RENDEZVOUS_NANOS} passed: {@code late}). */
        void spinUntil(AtomicInteger n, int target) {
            long deadline = System.nanoTime() + RENDEZVOUS_NANOS;
            while (n.get() < target) {
                if (System.nanoTime() > deadline) {
                    late.set(true);
                    return;
                }
                Thread.yield();
            }
        }
    }

    final SharedMap<Integer, Long> tally = new SharedMap<>();
    final SharedMap<Integer, Cell> cells = new SharedMap<>();
    final SharedMap<String, String> crossed = new SharedMap<>();
    private final AtomicLongArray merged = new AtomicLongArray(KEYS);
    private final AtomicLongArray removedSum = new AtomicLongArray(KEYS);
    private final AtomicLongArray mappingRuns = new AtomicLongArray(KEYS);
    private final AtomicLongArray cellRemoves = new AtomicLongArray(KEYS);
    final LongAdder ops = new LongAdder();
    final LongAdder victims = new LongAdder();
    final LongAdder selfDeadlocks = new LongAdder();
    final LongAdder crossRounds = new LongAdder();
    final LongAdder crossRetries = new LongAdder();
    private final AtomicLong selfSerial = new AtomicLong();
    private final Violations violations;
    private final Set<Break> breaks;
    private final AtomicBoolean miscounted = new AtomicBoolean();
    private final AtomicBoolean doubleVictim = new AtomicBoolean();

    Maps(Violations violations, Set<Break> breaks) {
        this.violations = violations;
        this.breaks = breaks;
    }

    List<Thread> workers(int n, AtomicBoolean stop) {
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> work(stop), "soak-maps-" + i);
            t.setDaemon(true);
            ts.add(t);
        }
        return ts;
    }

    /** The crossed-round driver (not interrupted by the fault thread: nothing in it is interruptible). */
    Thread crossDriver(AtomicBoolean stop) {
        Thread t = new Thread(() -> crossRounds(stop), "soak-maps-crossed");
        t.setDaemon(true);
        return t;
    }

    private void work(AtomicBoolean stop) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (!stop.get()) {
            int k = rnd.nextInt(KEYS);
            Integer key = k;
            int r = rnd.nextInt(100);
            ops.increment();
            if (r < 40) {
                tally.compute(key, (kk, v) -> v == null ? 1L : v + 1);
                merged.incrementAndGet(k);
                if (breaks.contains(Break.MAP_MISCOUNT) && miscounted.compareAndSet(false, true)) {
                    merged.incrementAndGet(k);   // --break=map-miscount
                }
            } else if (r < 44) {
                Long old = tally.remove(key);
                if (old != null) {
                    removedSum.addAndGet(k, old);
                }
            } else if (r < 52) {
                Long v = tally.get(key);
                if (v != null && v < 1) {
                    violations.record("map-counts", "tally key " + k + " holds " + v + " (only increments go in)");
                }
            } else if (r < 88) {
                Cell c = cells.computeIfAbsent(key, kk -> {
                    mappingRuns.incrementAndGet(k);
                    return new Cell();
                });
                c.hits.increment();
            } else if (r < 92) {
                Cell c = cells.get(key);
                if (c != null && cells.remove(key, c)) {
                    cellRemoves.incrementAndGet(k);
                }
            } else if (rnd.nextInt(SELF_DEADLOCK_ONE_IN) != 0) {
                tally.containsKey(key);
                crossed.isEmpty();
            } else {
                selfDeadlock();
            }
        }
    }

    /** A mapping that asks for its own key: refused at once, the key stays absent. */
    private void selfDeadlock() {
        String key = "self-" + selfSerial.incrementAndGet();
        try {
            String v = crossed.computeIfAbsent(key, kk -> "outer+" + crossed.computeIfAbsent(kk, x -> "inner"));
            violations.record("map-deadlock", "a computeIfAbsent mapping that asked for its own key returned " + v
                    + " instead of being refused");
        } catch (DeadlockException e) {
            victims.increment();
            selfDeadlocks.increment();
        }
        if (crossed.containsKey(key)) {
            violations.record("map-deadlock", "the key of a refused self-deadlock is present: " + crossed.get(key));
            crossed.remove(key);
        }
    }

    private void crossRounds(AtomicBoolean stop) {
        long n = 0;
        while (!stop.get()) {
            CrossRound round = new CrossRound(n++);
            String a = "a" + round.n;
            String b = "b" + round.n;
            String[] got = new String[2];
            Thread ta = new Thread(() -> got[0] = side(round, "A", a, b), "soak-maps-cross-A");
            Thread tb = new Thread(() -> got[1] = side(round, "B", b, a), "soak-maps-cross-B");
            ta.setDaemon(true);
            tb.setDaemon(true);
            ta.start();
            tb.start();
            try {
                ta.join();
                tb.join();
            } catch (InterruptedException e) {
                violations.record("errors", "the crossed-round driver was interrupted");
                return;
            }
            crossRounds.increment();
            checkRound(round, a, b, got);
            crossed.remove(a);
            crossed.remove(b);
        }
    }

    /** One side: computeIfAbsent(mine) whose mapping asks for theirs; a victim retries. */
    private String side(CrossRound round, String me, String mine, String theirs) {
        AtomicBoolean first = new AtomicBoolean(true);
        while (true) {
            boolean firstAttempt = first.get();
            try {
                String v = crossed.computeIfAbsent(mine, k -> {
                    if (first.getAndSet(false)) {
                        round.meet();
                    }
                    return me + "+" + crossed.computeIfAbsent(theirs, kk -> kk + "-by-" + me);
                });
                round.finished.incrementAndGet();
                return v;
            } catch (DeadlockException e) {
                // Retry once the survivor is done: a retry racing it could close a new cycle,
                // whose victim might be the survivor's first attempt.
                round.spinUntil(round.finished, 1);
                victims.increment();
                if (firstAttempt) {
                    round.firstVictims.incrementAndGet();
                    if (breaks.contains(Break.MAP_DOUBLE_VICTIM) && doubleVictim.compareAndSet(false, true)) {
                        round.firstVictims.incrementAndGet();   // --break=map-double-victim
                    }
                } else {
                    crossRetries.increment();
                }
                first.set(false);
            }
        }
    }

    private void checkRound(CrossRound round, String a, String b, String[] got) {
        String va = crossed.get(a);
        String vb = crossed.get(b);
        boolean aWon = ("A+" + b + "-by-A").equals(va) && (b + "-by-A").equals(vb);
        boolean bWon = ("B+" + a + "-by-B").equals(vb) && (a + "-by-B").equals(va);
        if (round.firstVictims.get() != 1) {
            violations.record("map-deadlock", "crossed round " + round.n + ": " + round.firstVictims.get()
                    + " of the two first attempts were refused (expected exactly 1)");
        } else if (round.late.get()) {
            violations.record("errors", "crossed round " + round.n + ": a side waited 30 s for the other");
        } else if (!aWon && !bWon) {
            violations.record("map-deadlock", "crossed round " + round.n + ": the map holds " + a + "=" + va + ", "
                    + b + "=" + vb + ", which is not what one survivor computed");
        } else if (!va.equals(got[0]) || !vb.equals(got[1])) {
            violations.record("map-deadlock", "crossed round " + round.n + ": the sides got " + got[0] + " and "
                    + got[1] + " but the map holds " + va + " and " + vb);
        }
    }

    /** The end-of-run per-key check (all workers stopped). */
    void checkEnd() {
        for (int k = 0; k < KEYS; k++) {
            Long v = tally.get(k);
            long inMap = v == null ? 0 : v;
            if (inMap + removedSum.get(k) != merged.get(k)) {
                violations.record("map-counts", "tally key " + k + ": " + inMap + " in the map + " + removedSum.get(k)
                        + " removed = " + (inMap + removedSum.get(k)) + ", but the workload added " + merged.get(k));
            }
            long expectRuns = cellRemoves.get(k) + (cells.containsKey(k) ? 1 : 0);
            if (mappingRuns.get(k) != expectRuns) {
                violations.record("map-counts", "cells key " + k + ": the computeIfAbsent mapping ran "
                        + mappingRuns.get(k) + " times for " + cellRemoves.get(k) + " removals"
                        + (cells.containsKey(k) ? " and the key present" : ""));
            }
        }
    }

    long increments() {
        long s = 0;
        for (int k = 0; k < KEYS; k++) {
            s += merged.get(k);
        }
        return s;
    }

    long mappingRunsTotal() {
        long s = 0;
        for (int k = 0; k < KEYS; k++) {
            s += mappingRuns.get(k);
        }
        return s;
    }
}
