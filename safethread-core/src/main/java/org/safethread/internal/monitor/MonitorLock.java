package org.safethread.internal.monitor;

import java.util.ArrayDeque;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.LockSupport;
import org.safethread.internal.deadlock.WaitForGraph;
import org.safethread.internal.runtime.ThreadState;

/**
 * The lock of one monitor: mutual exclusion, direct re-entry, Hoare-style hand-off to condition
 * waiters, and an entry queue that the deadlock detector can abort.
 *
 * <h2>Implementation notes</h2>
 *
 * <p>It extends {@link AbstractQueuedSynchronizer} for its state word and its exclusive-owner
 * field, so that {@code jstack} ("Locked ownable synchronizers") and {@code ThreadMXBean} show who
 * holds a monitor and which lock a blocked thread waits for ({@code LockSupport.park(this)}). It
 * does not use AQS's own queue: AQS cannot abort a waiting acquire except by interrupt, and a
 * deadlock victim must leave its entry with an exception while its interrupt status stays the
 * user's.
 *
 * <p><b>State word</b> (AQS state): {@code 0} free, {@link #LOCKED} held. Whether threads
 * wait is not in the word but in {@code firstWaiter}, the head of the entry queue, a volatile
 * field; so neither acquire nor release ever has to CAS around a "contended" bit that another
 * thread may flip (with the bit in the word, a contended call cost two failed CASes more).
 * <ul>
 *   <li>Acquire: CAS {@code 0 -> LOCKED}, one CAS whether or not threads wait (barging, as with
 *       a non-fair {@code ReentrantLock}). A thread that finds it taken spins briefly, then
 *       registers in the entry queue and the wait-for graph (under the graph lock), re-tries
 *       once, and parks.</li>
 *   <li>Release: a volatile write of {@code 0} (as {@code ReentrantLock} does), then a volatile
 *       read of {@code firstWaiter}; if there is one and it armed its wake flag, unpark it. No
 *       lock on any release path. The woken thread re-tries; a barging thread may win.</li>
 *   <li>No lost wake-up: a waiter enqueues itself (publishing {@code firstWaiter} if it is the
 *       head), arms its wake flag, then re-tries the CAS. A releaser writes {@code 0}, then reads
 *       {@code firstWaiter} and its wake flag, and unparks it only if it wins the CAS that
 *       disarms the flag (so a waiter already woken is not woken again by every release: AQS's
 *       SIGNAL status). All these accesses are volatile (sequentially consistent among
 *       themselves: Dekker's pattern), so either the waiter's re-try sees the lock free, or the
 *       releaser sees the armed flag. A waiter that is not the head relies on the head: the head
 *       leaves the queue only after acquiring (its release then wakes the new head) or as a
 *       deadlock victim while the monitor is held (its holder's release wakes the new head). An
 *       unpark of a thread that has just stopped waiting is harmless: every park in the runtime
 *       is in a loop that re-checks its condition.</li>
 *   <li>The entry queue and {@code firstWaiter} change only under the graph lock; the queue is
 *       also read only under it.</li>
 * </ul>
 *
 * <p><b>Owner.</b> AQS's exclusive owner thread is written by the holder right after it acquired
 * and cleared right before it releases (the only two writes besides the lock word's CASes, as
 * with {@code ReentrantLock}: a contended line should see as few writes as possible);
 * {@code holds} (direct re-entries) and the condition-waiter list are touched only by the
 * holder. The deadlock detector reads the owner racily under the graph lock and maps it to its
 * ThreadState through the registry; the argument for why that cannot produce a false cycle is
 * in {@link WaitForGraph}.
 *
 * <p><b>Conditions.</b> On every full release (outermost exit, {@code await}, {@code leave}) the
 * holder evaluates waiters' conditions oldest first, still holding the monitor; the first that
 * holds is granted (CAS) and the monitor is handed to it without unlocking, so the condition is
 * still true when that waiter runs. Entry waiters keep waiting meanwhile.
 */
public final class MonitorLock extends AbstractQueuedSynchronizer {
    private static final long serialVersionUID = 1L;
    /** The AQS state of a held monitor (0: free). */
    static final int LOCKED = 1;

    /** The monitor's display name, e.g. {@code Account#3}. */
    public final String name;
    /**
     * The lock that is really taken when this monitor is entered: {@code this} for a monitor of
     * its own ({@code Monitor.of}) and for a space's shared lock; the space's shared lock for a
     * monitor of a {@code MonitorSpace}, whose own lock word is never used (it only names the
     * monitor). Entries, the monitor stack, condition waiters and the wait-for graph all work on
     * {@code space}.
     */
    public final MonitorLock space;
    /** How messages name the space of which this is the shared lock ("bank"); for members, null. */
    private final String spaceName;
    /** Direct re-entries beyond the first entry. Holder only. */
    int holds;
    /** Spins a contended entrant may try before parking (adaptive; racy updates are fine). */
    private int spinBudget = Integer.MAX_VALUE;
    /** Condition waiters, oldest first. Holder only. */
    private transient ConditionWaiter waitHead;
    private transient ConditionWaiter waitTail;
    /** Threads parked (or about to park) entering this monitor. Guarded by the graph lock. */
    private transient ArrayDeque<ThreadState> entryQueue;
    /** The head of {@link #entryQueue}, for releasers (written under the graph lock). */
    private transient volatile ThreadState firstWaiter;

    /** A monitor of its own (a space of one), named e.g. {@code Account#3}. */
    public MonitorLock(String name) {
        this.name = name;
        this.space = this;
        this.spaceName = name;
    }

    /** A monitor of {@code space}'s space: entering it takes the space's lock. */
    public MonitorLock(String name, MonitorLock space) {
        this.name = name;
        this.space = space.space;
        this.spaceName = null;
    }

    private MonitorLock(String name, String spaceName) {
        this.name = name;
        this.space = this;
        this.spaceName = spaceName;
    }

    /** @return the shared lock of a new monitor space named {@code spaceName} (itself no monitor) */
    public static MonitorLock newSpace(String spaceName) {
        return new MonitorLock("space " + spaceName, spaceName);
    }

    /** @return the name of the space whose shared lock this is (the monitor's own name for a monitor of its own) */
    public String spaceName() {
        return space.spaceName;
    }

    /** @return how messages name this monitor: {@code Account#3}, or {@code Account#3 in space bank} */
    public String displayName() {
        return space == this ? name : name + " in space " + space.spaceName;
    }

    // ------------------------------------------------------------------ lock word

    /**
     * Takes the lock if it is free and {@code ts} may take it. The entry fast path, and every
     * re-try of a queued entrant: one CAS from free to locked (a CAS takes the cache line exclusive at
     * once, where a read first would fetch it shared and then upgrade it); a thread that lost a
     * deadlock first checks that nobody is queued ahead of it ({@link #mayTake}).
     */
    public boolean tryLock(ThreadState ts) {
        return mayTake(ts) && compareAndSetState(0, LOCKED);
    }

    /**
     * @return whether {@code ts} may take this monitor when it is free: always, unless it lost a
     *     deadlock and others are queued ahead of it (see {@link ThreadState#yieldsEntry})
     */
    public boolean mayTake(ThreadState ts) {
        return !ts.yieldsEntry || firstWaiter == ts || firstWaiter == null;
    }

    /** @return whether the lock is free now (a volatile read: spin on this, then {@link #tryLock(ThreadState)}) */
    public boolean isFree() {
        return getState() == 0;
    }

    /** Takes the lock if it is free, whoever waits (a spin of a thread that may barge). */
    private boolean tryLock() {
        return compareAndSetState(0, LOCKED);
    }

    void setOwner(ThreadState ts) {
        setExclusiveOwnerThread(ts.thread);
    }

    /**
     * @return the holding thread as last written (AQS's exclusive owner: a racy read, exact for
     *     the holder itself; the deadlock detector maps it to its ThreadState)
     */
    public Thread ownerThread() {
        return getExclusiveOwnerThread();
    }

    /**
     * Unlocks: clears the owner field, then the lock word (a volatile write, ordered before the
     * read of {@code firstWaiter} that follows); wakes the first entry waiter if it is armed.
     */
    private void unlock() {
        setExclusiveOwnerThread(null);
        setState(0);
        ThreadState first = firstWaiter;
        if (first != null && first.claimEntryWake()) {
            LockSupport.unpark(first.thread);
        }
    }

    // ------------------------------------------------------------------ entry queue (graph lock held)

    /** Registers {@code ts} as waiting to enter. Caller holds the graph lock. */
    public void enqueueEntry(ThreadState ts) {
        if (entryQueue == null) {
            entryQueue = new ArrayDeque<>(4);
        }
        entryQueue.addLast(ts);
        if (firstWaiter == null) {
            firstWaiter = ts;
        }
    }

    /** Unregisters {@code ts}. Caller holds the graph lock. */
    public void dequeueEntry(ThreadState ts) {
        if (entryQueue == null) {
            return;
        }
        entryQueue.removeFirstOccurrence(ts);
        ThreadState head = entryQueue.peekFirst();
        if (firstWaiter != head) {
            firstWaiter = head;
        }
    }

    // ------------------------------------------------------------------ entering (slow path)

    /**
     * Enters after the fast path failed and the thread does not hold the monitor: spin briefly,
     * then wait in the wait-for graph.
     *
     * @param abortable whether this entry may be chosen as a deadlock victim (false for the
     *     re-entry after {@code await} or {@code leave})
     * @throws org.safethread.DeadlockException if this entry is chosen to break a deadlock
     */
    void lockContended(ThreadState ts, boolean abortable, int maxSpins) {
        // Adaptive spinning: spin up to this monitor's budget; a spin that gets in grows the
        // budget, one that does not halves it. A holder that re-enters at once (a tight loop)
        // makes spinning useless and costly (every spin bounces the lock word's cache line).
        int budget = ts.yieldsEntry ? 0 : Math.min(spinBudget, maxSpins); // a deadlock loser queues
        for (int i = 0; i < budget; i++) {
            if (isFree() && tryLock()) { // read first: a failing CAS would steal the holder's line
                int grown = Math.min(maxSpins, budget * 2 + 1);
                if (grown != budget) {
                    spinBudget = grown; // written only when it changes: this line is contended
                }
                return;
            }
            Thread.onSpinWait();
        }
        if (budget > 0) {
            spinBudget = budget >> 1;
        }
        WaitForGraph.waitToEnter(this, ts, abortable);
        if (spinBudget == 0 && maxSpins > 0) {
            spinBudget = 1; // let spinning prove itself again now and then
        }
    }

    // ------------------------------------------------------------------ releasing

    /**
     * Fully releases the monitor held by {@code ts} (its outermost exit, an {@code await} or a
     * {@code leave}): hands it to the oldest condition waiter whose condition now holds, else
     * unlocks. The caller still has this monitor on top of its stack, so conditions that call
     * back into the monitor re-enter it directly.
     *
     * @param skip a waiter not to evaluate (the caller's own, just found false), or null
     */
    void release(ThreadState ts, ConditionWaiter skip) {
        if (waitHead != null && handOff(ts, skip)) {
            return;
        }
        unlock();
    }

    private boolean handOff(ThreadState ts, ConditionWaiter skip) {
        MonitorStack stack = ts.monitors;
        boolean outer = !stack.evaluatingConditions;
        stack.evaluatingConditions = true;
        try {
            ConditionWaiter prev = null;
            ConditionWaiter w = waitHead;
            while (w != null) {
                ConditionWaiter next = w.next;
                if (w.state() != ConditionWaiter.WAITING) {
                    unlinkAfter(prev, w);
                    w = next;
                    continue;
                }
                if (w != skip) {
                    boolean holds;
                    Throwable failure = null;
                    try {
                        holds = w.condition.getAsBoolean();
                    } catch (Throwable t) {
                        holds = true; // deliver the failure to the waiter whose condition it is
                        failure = t;
                    }
                    if (holds) {
                        w.failure = failure;
                        if (w.grant()) {
                            unlinkAfter(prev, w);
                            this.holds = w.savedHolds;
                            setOwner(w.ts);
                            LockSupport.unpark(w.ts.thread);
                            return true;
                        }
                        unlinkAfter(prev, w); // cancelled meanwhile
                        w = next;
                        continue;
                    }
                }
                prev = w;
                w = next;
            }
            return false;
        } finally {
            if (outer) {
                stack.evaluatingConditions = false;
            }
        }
    }

    // ------------------------------------------------------------------ condition waiters (holder only)

    void appendWaiter(ConditionWaiter w) {
        if (waitTail == null) {
            waitHead = waitTail = w;
        } else {
            waitTail.next = w;
            waitTail = w;
        }
    }

    void removeWaiter(ConditionWaiter target) {
        ConditionWaiter prev = null;
        for (ConditionWaiter w = waitHead; w != null; prev = w, w = w.next) {
            if (w == target) {
                unlinkAfter(prev, w);
                return;
            }
        }
    }

    private void unlinkAfter(ConditionWaiter prev, ConditionWaiter w) {
        ConditionWaiter next = w.next;
        if (prev == null) {
            waitHead = next;
        } else {
            prev.next = next;
        }
        if (waitTail == w) {
            waitTail = prev;
        }
        w.next = null;
    }

    // ------------------------------------------------------------------ AQS

    @Override
    protected boolean isHeldExclusively() {
        return getState() != 0 && getExclusiveOwnerThread() == Thread.currentThread();
    }

    @Override
    public String toString() {
        return name;
    }
}
