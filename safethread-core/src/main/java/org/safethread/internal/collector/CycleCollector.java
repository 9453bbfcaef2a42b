package org.safethread.internal.collector;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.safethread.CollectionResult;
import org.safethread.RefCounted;
import org.safethread.internal.refcount.Candidates;
import org.safethread.internal.refcount.Deaths;
import org.safethread.internal.refcount.OwnerWork;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.Settings;
import org.safethread.internal.runtime.RuntimeThreads;
import org.safethread.internal.runtime.SafeText;
import org.safethread.internal.runtime.ThreadRegistry;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.internal.runtime.LoggerNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cycle collector: finds groups of {@link RefCounted} objects referenced only through each
 * other's {@code Ref} fields and makes them die.
 *
 * <h2>Implementation notes: one collection</h2>
 * <ol>
 *   <li><b>Handshake.</b> Every thread that owns objects is either held at once (it is parked
 *       inside the runtime, or has ended) or asked to stop at its next safe point
 *       ({@code REQ_SAFEPOINT}, seen by an opaque read on every runtime call); the collector waits
 *       up to {@code safethread.collector.handshakeTimeout} for those to park and holds them.
 *       A thread that does not answer in time (busy elsewhere, sleeping, in I/O) is left
 *       running, and every object it owns counts as referenced: the collection is delayed for
 *       those objects, never wrong. A thread that missed the previous collection and has passed
 *       no safe point since is not waited for (it is idle), but is held if it answers before the
 *       snapshot starts.</li>
 *   <li><b>Merges and candidates.</b> Held threads' merge queues are drained (so their counts
 *       are final), and the candidates are gathered: the global queue, held threads' local lists,
 *       and those deferred by the previous collection.</li>
 *   <li><b>Snapshot</b> ({@link Snapshot}): counts and {@code Ref} edges of the objects reachable
 *       from the candidates whose counts are readable, each word marked SCAN.</li>
 *   <li><b>Release.</b> The world resumes; the pause is the handshake plus the snapshot.</li>
 *   <li><b>Trial deletion and validation</b> with the world running
 *       ({@link Snapshot#collectGarbage}: {@code trialDeletion}, {@code keepUncertainCandidates}
 *       for partial views, {@code killGarbage}): a garbage group dies only if no thread changed
 *       any member's count since its snapshot (TOUCHED would be set).</li>
 *   <li><b>Death</b> of every validated group, in the order of the contract: all marked dead,
 *       then all {@code Ref}s cleared, then cores queued ({@link Deaths#dieGroup}).</li>
 * </ol>
 * Cost: O(objects + references examined); objects examined are those reachable from candidates.
 * One collection runs at a time (a run lock); a thread waiting for it detaches, so the running
 * collection can hold it.
 *
 * <p>Background collections run on the daemon {@code safethread-collector} when queued
 * candidates reach a threshold. The threshold adapts: it doubles (up to 64 times
 * {@code safethread.collector.threshold}) after a collection that found under 10% garbage, and
 * halves (down to the setting) after one that found over half.
 */
public final class CycleCollector {
    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.COLLECTOR);
    /** Upper bound of the adaptive threshold, as a multiple of the configured one. */
    private static final int MAX_THRESHOLD_FACTOR = 64;
    /** Poll interval while waiting for threads to reach a safe point. */
    private static final long HANDSHAKE_POLL_NANOS = 20_000;

    private static final ReentrantLock RUN = new ReentrantLock();
    private static final AtomicBoolean REQUESTED = new AtomicBoolean();
    private static final RuntimeThreads.Slot THREAD =
            new RuntimeThreads.Slot("safethread-collector", CycleCollector::backgroundLoop);
    /** The adaptive threshold as a multiple of the configured one, 1 to MAX_THRESHOLD_FACTOR. */
    private static volatile int thresholdFactor = 1;
    /** A diagnostic told of every killed object (issue 18's soak), or null. */
    private static volatile KillObserver killObserver;
    /** Candidates to look at again next time. Guarded by RUN. */
    private static List<RefCounted> deferred = new ArrayList<>();

    static {
        // The hook into the count engine (after the fields above, which requestBackground uses).
        Candidates.installTrigger(new Candidates.Trigger() {
            @Override
            public int threshold() {
                return CycleCollector.threshold();
            }

            @Override
            public void requestCollection() {
                requestBackground();
            }
        });
    }

    private CycleCollector() {
    }

    /**
     * Makes sure the collector's hook is installed in the count engine: its class initializer
     * installs it, and this method's only work is to have run that initializer. The public
     * {@code RefCounted}'s class initializer calls it, so the hook is in place before any counted
     * object exists.
     */
    public static void installHooks() {
        // the class initializer did the work
    }

    /** @return queued candidates that trigger a background collection now */
    static int threshold() {
        return (int) Math.min(Integer.MAX_VALUE, (long) Settings.collectorThreshold() * thresholdFactor);
    }

    /**
     * Installs a diagnostic told of every object each later collection kills (see
     * {@link KillObserver}), replacing any installed before; null removes it. For tests and the
     * chaos soak: it runs on the collecting thread for every killed object.
     */
    public static void setKillObserver(KillObserver observer) {
        killObserver = observer;
    }

    /** Forgets what collections taught the adaptive threshold (tests, and embedders that reconfigure). */
    public static void resetAdaptiveThreshold() {
        thresholdFactor = 1;
    }

    /** Wakes the background collector (cheap when already requested). */
    static void requestBackground() {
        if (!Settings.collectorEnabled()) {
            return;
        }
        if (REQUESTED.get() || !REQUESTED.compareAndSet(false, true)) {
            THREAD.ensureRunning(); // already requested: just make sure a thread will see it
            return;
        }
        LockSupport.unpark(THREAD.ensureRunning()); // started on first need, replaced if it ever ended
    }

    private static void backgroundLoop() {
        ThreadState.markRuntimeThread();
        while (THREAD.keepRunning()) { // false once SafeThread.shutdown stopped this thread
            if (!REQUESTED.get()) {
                LockSupport.parkNanos(CycleCollector.class, TimeUnit.SECONDS.toNanos(1));
            }
            if (!REQUESTED.getAndSet(false)) {
                continue;
            }
            if (!Settings.collectorEnabled() || Candidates.pending() < threshold()) {
                continue;
            }
            try {
                collect(true);
            } catch (Throwable t) {
                try {
                    LOG.error("safethread: background collection failed: {}", SafeText.of(t), SafeText.loggable(t));
                } catch (Throwable ignored) {
                    // the logging backend failed: carry on
                }
            }
        }
    }

    /** Runs one collection in the calling thread. */
    @SuppressWarnings("LockNotBeforeTry") // lock(); unlock(): waits for the running collection, holds nothing
    public static CollectionResult collect(boolean background) {
        ThreadState me = ThreadState.current();
        me.pollIfRequested();
        while (!RUN.tryLock()) {
            // Another collection runs: wait for it detached, so that it can hold this thread
            // meanwhile, then race for the lock again. The lock is never held across
            // detach/attach, so an exception from either cannot leave it held (SpotBugs
            // UL_UNRELEASED_LOCK_EXCEPTION_PATH, which the old lock-then-attach order had).
            me.detach();
            try {
                RUN.lock(); // returns once the running collection has ended
                RUN.unlock();
            } finally {
                me.attach();
            }
        }
        try {
            return run(me, background);
        } finally {
            RUN.unlock();
        }
    }

    private static CollectionResult run(ThreadState me, boolean background) {
        CollectionEvent ev = new CollectionEvent();
        ev.begin(); // the event's duration is the whole collection, handshake included
        long t0 = System.nanoTime();
        Candidates.nextEpoch();
        int epoch = Candidates.epoch();
        List<ThreadState> held = new ArrayList<>();
        List<ThreadState> requested = new ArrayList<>();
        List<ThreadState> idle = new ArrayList<>();
        me.collectorEpoch = epoch;
        Snapshot snap = null;
        long pause;
        int unresponsive;
        try {
            // Ended threads' states go at each collection too, not only on adds: after a burst of
            // threads (10,000 virtual threads queued on one monitor) no add may come for a long
            // time, and the add-path prune leaves up to twice the threads alive at its last pass.
            ThreadRegistry.pruneEndedNow();
            for (ThreadState ts : ThreadRegistry.snapshot()) {
                if (ts == me) {
                    continue;
                }
                if (ts.tryHold()) {
                    held.add(ts);
                    continue;
                }
                if (!ts.ownsObjects()) {
                    continue; // a thread that owns nothing has no plain counts to read
                }
                ts.request(ThreadState.REQ_SAFEPOINT);
                requested.add(ts);
                if (ts.collectorMissedLast && ts.safePoints() == ts.collectorSeenSafePoints) {
                    idle.add(ts);
                }
            }
            List<ThreadState> waiting = new ArrayList<>(requested);
            waiting.removeAll(idle);
            long deadline = t0 + Settings.handshakeTimeoutNanos();
            List<ThreadState> pending = new ArrayList<>(requested);
            while (!pending.isEmpty()) {
                for (int i = pending.size() - 1; i >= 0; i--) {
                    ThreadState ts = pending.get(i);
                    if (ts.tryHold()) {
                        held.add(ts);
                        pending.remove(i);
                        waiting.remove(ts);
                    }
                }
                if (waiting.isEmpty() || System.nanoTime() - deadline >= 0) {
                    break;
                }
                LockSupport.parkNanos(HANDSHAKE_POLL_NANOS);
            }
            unresponsive = pending.size();
            for (ThreadState ts : requested) {
                boolean missed = pending.contains(ts);
                ts.collectorMissedLast = missed;
                ts.collectorSeenSafePoints = ts.safePoints();
            }
            for (ThreadState ts : held) {
                ts.collectorEpoch = epoch;
            }
            // Final counts: merge what held threads have queued, and our own.
            OwnerWork.of(me).drainMergeQueue();
            for (ThreadState ts : held) {
                OwnerWork w = OwnerWork.ifPresent(ts); // none: the thread never counted anything
                if (w != null) {
                    w.drainMergeQueue();
                }
            }
            ArrayList<RefCounted> candidates = new ArrayList<>(deferred);
            deferred = new ArrayList<>();
            Candidates.drainInto(candidates);
            addAll(candidates, OwnerWork.of(me).takeCandidates());
            for (ThreadState ts : held) {
                OwnerWork w = OwnerWork.ifPresent(ts);
                if (w != null) {
                    addAll(candidates, w.takeCandidates());
                }
            }
            snap = new Snapshot(epoch, Math.max(16, candidates.size() * 2));
            for (RefCounted x : candidates) {
                snap.addCandidate(x);
            }
            snap.traverse();
        } finally {
            for (ThreadState ts : held) {
                ts.release();
            }
            if (snap != null) {
                for (ThreadState ts : snap.lateHeld) {
                    ts.release();
                }
            }
            for (ThreadState ts : requested) {
                ts.clearRequest(ThreadState.REQ_SAFEPOINT);
                LockSupport.unpark(ts.thread);
            }
            me.collectorEpoch = -1;
        }
        pause = System.nanoTime() - t0;
        int collected;
        int examined = snap.size();
        // Counted before any death is visible (Snapshot counts objectsCollected the same way):
        // a thread that sees an object of this collection dead (a volatile read of its word,
        // after the CAS that killed it) also sees this collection in stats(). Counting at the
        // end let an observer see the death and still read the old count.
        Counters.COLLECTIONS.increment();
        Counters.OBJECTS_EXAMINED.add(examined);
        Counters.recordPause(pause);
        try {
            collected = snap.collectGarbage();
            snap.clearScanFlags();
            deferred.addAll(snap.deferred);
            if (collected > 0) {
                Deaths.dieGroup(snap);
                KillObserver obs = killObserver;
                if (obs != null) {
                    snap.reportKills(obs);
                }
            }
        } finally {
            snap.release();
        }
        long duration = System.nanoTime() - t0;
        adapt(examined, collected);
        ev.end();
        if (ev.shouldCommit()) {
            ev.examined = examined;
            ev.collected = collected;
            ev.pause = pause;
            ev.unresponsive = unresponsive;
            ev.background = background;
            ev.commit();
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("safethread: {} collection examined {} objects, collected {}, pause {} us, total {} us, "
                    + "{} owner thread(s) did not answer, {} candidate(s) deferred",
                    background ? "background" : "explicit", examined, collected,
                    TimeUnit.NANOSECONDS.toMicros(pause), TimeUnit.NANOSECONDS.toMicros(duration), unresponsive,
                    deferred.size());
        }
        return new CollectionResult(examined, collected, Duration.ofNanos(duration));
    }

    private static void addAll(List<RefCounted> out, RefCounted[] xs) {
        for (RefCounted x : xs) {
            out.add(x);
        }
    }

    private static void adapt(int examined, int collected) {
        int f = thresholdFactor;
        if (examined > 0 && collected * 10L < examined) {
            thresholdFactor = Math.min(MAX_THRESHOLD_FACTOR, f * 2);
        } else if (collected * 2L > examined) {
            thresholdFactor = Math.max(1, f / 2);
        }
    }

}
