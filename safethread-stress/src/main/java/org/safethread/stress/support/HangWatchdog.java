package org.safethread.stress.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.safethread.internal.deadlock.WaitForGraph;
import org.safethread.internal.runtime.ThreadState;

/**
 * Turns a monitor entry that hangs into an outcome. The library has no bounded monitor entry,
 * so a missed deadlock (or a lost wake-up) would otherwise park the actors forever and jcstress
 * would only see a killed fork. An actor brackets the entry under test with {@link #begin()} /
 * {@link #end}; a daemon thread breaks any such entry still parked after {@link #LIMIT_NANOS}.
 *
 * <p>How it breaks one: through the wait-for graph's supported hook
 * ({@code WaitForGraph.abortWait}), which gives the parked thread a verdict as the detector does
 * for a victim and unparks it. The thread then leaves its wait cleanly and throws a
 * {@code DeadlockException} whose message starts with {@code "hang watchdog"}; the actor sees
 * {@link Entry#fired()} and reports "hung" instead of "victim", unwinds and releases its monitors,
 * and the state's other actor can go on.
 */
public final class HangWatchdog {
    /** An entry parked this long is considered hung (a correct run never comes close). */
    public static final long LIMIT_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final long PERIOD_MS = 100;

    /** One bracketed monitor entry. */
    public static final class Entry {
        final ThreadState ts = ThreadState.current();
        final long since = System.nanoTime();
        volatile boolean fired;

        /** @return whether the watchdog broke this entry */
        public boolean fired() {
            return fired;
        }
    }

    private static final Set<Entry> ACTIVE = ConcurrentHashMap.newKeySet();
    private static volatile Thread thread;
    private static final Object START = new Object();

    private HangWatchdog() {
    }

    /** @return a watched entry for the calling thread; pass it to {@link #end} */
    public static Entry begin() {
        if (thread == null) {
            start();
        }
        Entry e = new Entry();
        ACTIVE.add(e);
        return e;
    }

    /** Stops watching {@code e}. */
    public static void end(Entry e) {
        ACTIVE.remove(e);
    }

    private static void start() {
        synchronized (START) {
            if (thread != null) {
                return;
            }
            Thread t = new Thread(HangWatchdog::loop, "safethread-stress-hang-watchdog");
            t.setDaemon(true);
            t.start();
            thread = t;
        }
    }

    private static void loop() {
        for (;;) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(PERIOD_MS));
            // Break at most one entry per round, the oldest that is parked: once it unwinds, the
            // others of its cycle may proceed, and the outcome shows which entry really hung.
            long now = System.nanoTime();
            List<Entry> due = new ArrayList<>();
            for (Entry e : ACTIVE) {
                if (!e.fired && now - e.since > LIMIT_NANOS) {
                    due.add(e);
                }
            }
            due.sort((p, q) -> Long.signum(p.since - q.since));
            for (Entry e : due) {
                if (breakEntry(e)) {
                    break;
                }
            }
        }
    }

    /** @return whether it broke the entry (false: not parked in a wait right now) */
    private static boolean breakEntry(Entry e) {
        ThreadState ts = e.ts;
        String waited = WaitForGraph.waitingFor(ts);
        if (waited == null) {
            return false; // not parked in a wait (running, or already leaving as a victim)
        }
        e.fired = true;
        String msg = "hang watchdog: " + ts.thread.getName() + " was parked waiting for " + waited
                + " for more than " + TimeUnit.NANOSECONDS.toSeconds(LIMIT_NANOS) + " s (missed deadlock or lost wake-up)";
        if (!WaitForGraph.abortWait(ts, msg)) {
            e.fired = false; // it stopped waiting meanwhile
            return false;
        }
        return true;
    }
}
