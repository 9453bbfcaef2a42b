package org.safethread.internal.refcount;

import org.safethread.internal.runtime.Settings;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.internal.runtime.LoggerNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owners that do not come back: threads with objects queued for merging that have passed no safe
 * point for {@code safethread.refcount.idleOwnerTimeout} (1 s by default) and cannot be held
 * (they run, or idle, outside the runtime: blocked in a queue, a foreign lock, {@code sleep},
 * I/O, or busy in a long computation).
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>Only the housekeeper calls {@link #watch} and {@link #endRound} (one thread), so the
 *       per-owner episode fields in {@link OwnerWork} are confined to it.</li>
 *   <li>An episode starts when the housekeeper first finds queued merges it cannot do for an
 *       owner; it records the owner's safe-point count (an opaque counter the owner bumps in
 *       {@code poll()}). The owner "came back" when that count moved or the housekeeper could hold
 *       it: the episode ends. Reading a stale count only delays the report, never merges anything:
 *       this class reads no plain count, it only reports and flips the owner's bias.</li>
 *   <li>When an episode passes the timeout: the owner gives up its bias for its <em>new</em>
 *       objects ({@link OwnerWork#giveUpBias()}, a volatile write the owner reads at its next
 *       construction), a JFR {@link IdleOwnerEvent} is committed, and a WARN is logged (once per
 *       thread). The objects already waiting keep waiting: their owner's plain count cannot be
 *       read without it (see {@code RUNTIME-NOTES}), so they die at its next runtime call.</li>
 *   <li>{@link #waitingNow()} is a gauge the housekeeper recomputes each round: objects queued on
 *       owners whose episode passed the timeout.</li>
 * </ul>
 */
public final class IdleOwners {
    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.REFCOUNT);
    private static final String ADVICE = "the objects die when that thread next calls into safethread "
            + "(any operation, or SafeThread.poll()); its new objects are counted on the shared word "
            + "from now on. To avoid the wait, run such work on an ExecutorService, ForkJoinPool or "
            + "virtual threads (recognised at once), or wait inside the runtime (Monitor.await, "
            + "DeathQueue.take) instead of a foreign queue, lock or sleep";

    /**
     * A gap between two sightings of an owner's waiting objects longer than this (the
     * housekeeper looks every few milliseconds while merges wait) means the queue was drained in
     * between, by a holder: a new episode starts.
     */
    private static final long EPISODE_GAP_NANOS = 100_000_000L;

    /** Objects waiting now on owners idle past the timeout; written by the housekeeper only. */
    private static volatile long waiting;
    /** The sum being built in the current round (housekeeper only). */
    private static long roundWaiting;

    private IdleOwners() {
    }

    /** @return objects now waiting on owners that have not come back for the idle-owner timeout */
    public static long waitingNow() {
        return waiting;
    }

    /** The owner came back (held, or its queue emptied): its episode ends. Housekeeper only. */
    static void cameBack(ThreadState o) {
        OwnerWork w = OwnerWork.of(o);
        w.idleSince = 0;
        w.idleReported = false;
    }

    /**
     * Looks at an owner whose queued merges the housekeeper could not do this round.
     * Housekeeper only.
     */
    static void watch(ThreadState o, long now) {
        OwnerWork w = OwnerWork.of(o);
        long sp = o.safePoints();
        boolean seenLately = now - w.idleLastSeen < EPISODE_GAP_NANOS;
        w.idleLastSeen = now;
        if (w.idleSince == 0 || sp != w.idleSafePoints || !seenLately) {
            w.idleSince = now | 1; // never 0
            w.idleSafePoints = sp;
            w.idleReported = false;
            return;
        }
        long waited = now - w.idleSince;
        if (waited < Settings.idleOwnerTimeoutNanos()) {
            return;
        }
        int n = w.mergeQueue.size();
        roundWaiting += n;
        if (w.idleReported) {
            return;
        }
        w.idleReported = true;
        w.giveUpBias();
        IdleOwnerEvent e = new IdleOwnerEvent();
        if (e.isEnabled()) {
            e.ownerThread = o.thread.getName();
            e.ownerThreadId = o.thread.getId();
            e.waitingObjects = n;
            e.waited = waited;
            e.advice = ADVICE;
            e.commit();
        }
        if (!w.everReported) {
            w.everReported = true;
            LOG.warn("safethread: {} object(s) released by other threads have waited {} ms for their owner "
                    + "thread \"{}\", which has not called into the runtime since (it idles or works outside "
                    + "it: a foreign queue, lock, sleep or I/O); {}", n, waited / 1_000_000, o.thread.getName(),
                    ADVICE);
        } else {
            LOG.debug("safethread: {} object(s) have waited {} ms for their idle owner thread \"{}\"", n,
                    waited / 1_000_000, o.thread.getName());
        }
    }

    /** Publishes the round's gauge. Housekeeper only. */
    static void endRound() {
        waiting = roundWaiting;
        roundWaiting = 0;
    }
}
