package org.safethread.stress.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.safethread.DeadlockException;
import org.safethread.MonitorSpace;

/**
 * {@link MonitorSpace} (CONTRACT §8) under load: in space {@code ledger}, transfers between its
 * slots (direct re-entries: never a deadlock) and waiting transfers (a condition on one slot
 * re-evaluated when the space is released); between spaces {@code east} and {@code west},
 * transfers in both directions (a lock per space, taken in random order: deadlocks broken, the
 * victim retries).
 *
 * <p>Check {@code space-money}: the ledger's total, summed in one hold of its lock (a ring of
 * direct re-entries), never changes (every second and at the end); east + west together hold
 * what they opened with at the end. A deadlock inside one space is an error (a thread failed).
 */
final class Spaces {
    static final int LEDGER_SLOTS = 8;
    static final int SIDE_SLOTS = 4;
    static final long OPENING = 1_000;
    private static final Duration COVER_WAIT = Duration.ofMillis(2);

    private final SpaceSlot[] ledger = new SpaceSlot[LEDGER_SLOTS];
    private final SpaceSlot[] east = new SpaceSlot[SIDE_SLOTS];
    private final SpaceSlot[] west = new SpaceSlot[SIDE_SLOTS];
    private final Violations violations;
    private final Set<Break> breaks;
    private final AtomicBoolean lostOne = new AtomicBoolean();
    final LongAdder transfers = new LongAdder();
    final LongAdder crossTransfers = new LongAdder();
    final LongAdder victims = new LongAdder();
    final LongAdder waited = new LongAdder();
    final LongAdder interrupts = new LongAdder();
    final LongAdder audits = new LongAdder();

    Spaces(Violations violations, Set<Break> breaks) {
        this.violations = violations;
        this.breaks = breaks;
        fill(MonitorSpace.create("ledger"), ledger);
        fill(MonitorSpace.create("east"), east);
        fill(MonitorSpace.create("west"), west);
    }

    private static void fill(MonitorSpace space, SpaceSlot[] slots) {
        for (int i = 0; i < slots.length; i++) {
            slots[i] = space.monitor(new SpaceSlot(OPENING));
        }
        for (int i = 0; i < slots.length; i++) {
            slots[i].link(slots[(i + 1) % slots.length]);
        }
    }

    List<Thread> workers(int n, AtomicBoolean stop) {
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> work(stop), "soak-spaces-" + i);
            t.setDaemon(true);
            ts.add(t);
        }
        return ts;
    }

    private void work(AtomicBoolean stop) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (!stop.get()) {
            long amount = 1 + rnd.nextInt(50);
            int r = rnd.nextInt(10);
            try {
                if (r < 5) {
                    int from = rnd.nextInt(LEDGER_SLOTS);
                    int to = (from + 1 + rnd.nextInt(LEDGER_SLOTS - 1)) % LEDGER_SLOTS;
                    boolean lose = breaks.contains(Break.SPACE_LOSE_MONEY) && lostOne.compareAndSet(false, true);
                    if (ledger[from].transferTo(ledger[to], amount, lose ? 1 : 0)) {
                        transfers.increment();
                    }
                } else if (r < 7) {
                    int from = rnd.nextInt(LEDGER_SLOTS);
                    int to = (from + 1 + rnd.nextInt(LEDGER_SLOTS - 1)) % LEDGER_SLOTS;
                    if (ledger[from].transferWhenCovered(ledger[to], amount, COVER_WAIT)) {
                        waited.increment();
                    }
                } else {
                    SpaceSlot[] a = rnd.nextBoolean() ? east : west;
                    SpaceSlot[] b = a == east ? west : east;
                    SpaceSlot from = a[rnd.nextInt(SIDE_SLOTS)];
                    SpaceSlot to = b[rnd.nextInt(SIDE_SLOTS)];
                    while (true) {
                        try {
                            from.transferTo(to, amount, 0);
                            crossTransfers.increment();
                            break;
                        } catch (DeadlockException e) {
                            victims.increment();   // nothing changed: retry
                            if (stop.get()) {
                                break;
                            }
                        }
                    }
                }
            } catch (InterruptedException e) {
                interrupts.increment();
            }
        }
    }

    /** The ledger's total in one hold of its lock; a violation if it changed. */
    void audit(String when) {
        long total = ledger[0].sumRing(LEDGER_SLOTS);
        audits.increment();
        if (total != LEDGER_SLOTS * OPENING) {
            violations.record("space-money", when + ": space ledger holds " + total + ", expected "
                    + LEDGER_SLOTS * OPENING);
        }
    }

    /** At the end (workers stopped): east + west hold what they opened with. */
    void checkEnd() {
        audit("final audit");
        long sum = east[0].sumRing(SIDE_SLOTS) + west[0].sumRing(SIDE_SLOTS);
        if (sum != 2 * SIDE_SLOTS * OPENING) {
            violations.record("space-money", "spaces east + west hold " + sum + ", expected " + 2 * SIDE_SLOTS * OPENING);
        }
    }
}
