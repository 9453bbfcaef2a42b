package org.safethread.stress.deadlock;

import org.safethread.DeadlockException;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;
import org.safethread.stress.support.HangWatchdog;
import org.safethread.stress.support.Rendezvous;

/**
 * A monitor for the deadlock tests: an outer call that meets its partner actor while holding
 * this monitor, then enters another monitor. Outcome codes returned by the outer calls:
 * {@link #ENTERED}, {@link #VICTIM}, {@link #HUNG}, {@link #LATE}.
 */
public class Node {
    /** The inner monitor was entered (and left) normally. */
    public static final int ENTERED = 0;
    /** The inner entry threw {@code DeadlockException}: this thread was the victim. */
    public static final int VICTIM = 1;
    /** The inner entry hung and the hang watchdog broke it (a missed detection or lost wake-up). */
    public static final int HUNG = 2;
    /** The partner never reached the meeting point: no cycle was arranged, nothing entered. */
    public static final int LATE = 3;

    private int entries;

    /** Holding this monitor, meets the partner, then enters {@code inner}. */
    @MonitorMethod
    public int outer(Node inner, Rendezvous rv) {
        if (!rv.arriveAndAwait()) {
            return LATE;
        }
        HangWatchdog.Entry w = HangWatchdog.begin();
        try {
            inner.inner();
            // An entry the watchdog had to break is a hang even if it then got the monitor (a
            // lost wake-up on a monitor freed meanwhile ends that way).
            return w.fired() ? HUNG : ENTERED;
        } catch (RuntimeException e) {
            if (w.fired()) {
                return HUNG;
            }
            if (e instanceof DeadlockException) {
                return VICTIM;
            }
            throw e;
        } finally {
            HangWatchdog.end(w);
        }
    }

    /**
     * Holding this monitor, meets the partner, then leaves this monitor while entering
     * {@code other} ({@code Monitor.leave}): this thread holds nothing while it waits for
     * {@code other}, so it can never be part of a deadlock.
     */
    @MonitorMethod
    public int outerLeaving(Node other, Rendezvous rv) {
        if (!rv.arriveAndAwait()) {
            return LATE;
        }
        HangWatchdog.Entry w = HangWatchdog.begin();
        try {
            Monitor.leave(() -> {
                other.inner();
                return null;
            });
            // An entry the watchdog had to break is a hang even if it then got the monitor (a
            // lost wake-up on a monitor freed meanwhile ends that way).
            return w.fired() ? HUNG : ENTERED;
        } catch (RuntimeException e) {
            if (w.fired()) {
                return HUNG;
            }
            if (e instanceof DeadlockException) {
                return VICTIM;
            }
            throw e;
        } finally {
            HangWatchdog.end(w);
        }
    }

    /**
     * The victim's retry: the same nesting as {@link #outer} without the meeting point, right
     * after the first attempt lost a deadlock.
     *
     * @return {@link #ENTERED}, {@link #VICTIM} (the retry lost another deadlock) or {@link #HUNG}
     */
    @MonitorMethod
    public int retry(Node inner) {
        HangWatchdog.Entry w = HangWatchdog.begin();
        try {
            inner.inner();
            // An entry the watchdog had to break is a hang even if it then got the monitor (a
            // lost wake-up on a monitor freed meanwhile ends that way).
            return w.fired() ? HUNG : ENTERED;
        } catch (RuntimeException e) {
            if (w.fired()) {
                return HUNG;
            }
            if (e instanceof DeadlockException) {
                return VICTIM;
            }
            throw e;
        } finally {
            HangWatchdog.end(w);
        }
    }

    /**
     * A fresh (outermost) call of {@code n.inner()}, holding no monitor, watched for hangs.
     *
     * @return {@link #ENTERED}, {@link #VICTIM} (refused: with nothing held, always a false
     *     positive) or {@link #HUNG}
     */
    public static int enterFresh(Node n) {
        HangWatchdog.Entry w = HangWatchdog.begin();
        try {
            n.inner();
            return w.fired() ? HUNG : ENTERED;
        } catch (DeadlockException e) {
            return w.fired() ? HUNG : VICTIM;
        } finally {
            HangWatchdog.end(w);
        }
    }

    /** The inner call: counts entries (untouched by a victim, which never enters). */
    @MonitorMethod
    public void inner() {
        entries++;
    }

    /** @return how many inner calls entered this monitor */
    @MonitorMethod
    public int entries() {
        return entries;
    }
}
