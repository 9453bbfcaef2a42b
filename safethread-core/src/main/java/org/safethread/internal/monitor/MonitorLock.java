package org.safethread.internal.monitor;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.LockSupport;
import org.safethread.DeadlockException;
import org.safethread.internal.deadlock.WaitForGraph;
import org.safethread.internal.deadlock.Waitable;
import org.safethread.internal.events.ContendedEntryEvent;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.Settings;
import org.safethread.internal.runtime.ThreadRegistry;
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
 *       a non-fair {@code ReentrantLock}); a fresh call CASes before it reads anything else of
 *       the monitor's, then checks the queue head and gives the lock back if it may not pass it
 *       ({@link #tryEnter}). A thread that finds it taken spins briefly (default: not at all),
 *       then registers in the entry queue and the wait-for graph (under the graph lock), re-tries
 *       once, and parks.</li>
 *   <li>Release: a volatile write of {@code 0} (as {@code ReentrantLock} does), then a volatile
 *       read of {@code firstWaiter}; if there is one and it armed its wake flag, unpark it. No
 *       lock on any release path. The woken thread re-tries; a barging thread may win.</li>
 *   <li>No lost wake-up: a waiter enqueues itself (publishing {@code firstWaiter} if it is the
 *       head), and before each park arms its wake flag, then re-tries the CAS (it arms only
 *       there, right before parking: a flag armed earlier makes releasers unpark a thread that
 *       is not parked yet). A releaser writes {@code 0}, then reads
 *       {@code firstWaiter} and its wake flag, and unparks it only if it wins the CAS that
 *       disarms the flag (so a waiter already woken is not woken again by every release: AQS's
 *       SIGNAL status). All these accesses are volatile (sequentially consistent among
 *       themselves: Dekker's pattern), so either the waiter's re-try sees the lock free, or the
 *       releaser sees the armed flag. A waiter that is not the head relies on the head: the head
 *       leaves the queue only after acquiring (its release then wakes the new head) or as a
 *       deadlock victim, which found the monitor held; that holder's release may come while the
 *       victim leaves (it reads the victim as the head, already disarmed, and wakes nobody), so
 *       the victim, once out of the queue, wakes the new head itself if the monitor is free
 *       ({@code wakeHeadIfFree}: it writes the head, then reads the lock word, the releaser the
 *       other way round). An
 *       unpark of a thread that has just stopped waiting is harmless: every park in the runtime
 *       is in a loop that re-checks its condition.</li>
 *   <li>The entry queues and {@code firstWaiter} change only under the queue lock (a private
 *       object's intrinsic lock, held for a few deque operations); the queues are also read only under
 *       it. A full registration takes it inside the graph lock, a light one alone; nothing takes
 *       the graph lock while holding it.</li>
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
 * <p><b>Slow path.</b> An entrant that finds the monitor taken spins (adaptively), then waits
 * in {@link #waitToEnter}. A fresh outermost entry by a thread in no blocker role (see
 * {@code WaitForGraph}, "Light registrations": such a thread holds nothing and nobody waits for
 * it, so its wait cannot close a cycle) joins the entry queue under the queue lock alone,
 * registers lightly (a volatile write, no graph lock), re-tries, and parks without walking; it
 * leaves the same way once it has the monitor. This is the common contended entry, and it no
 * longer touches the global graph lock (before, it took it twice per contended entry). Any other
 * entry (the thread holds monitors, re-enters after {@code await}/{@code leave}, runs a branch
 * child's task or computes a map key), under the graph lock, joins the entry queue, registers in the
 * wait-for graph (this lock is a {@link Waitable} whose blocker is its holder), re-tries, and
 * looks for a cycle; then it parks, detached, and on each wake-up spins a little (1, 3, 7 … 255
 * tries at successive wake-ups, as AQS does). If it got the monitor, or a verdict awaits it
 * ({@code WaitForGraph.hasVerdict}, a volatile read), or a delayed detection is due, it takes
 * the graph lock to leave the queue, leave as a victim, or walk (a light waiter that got the
 * monitor leaves without it); otherwise (it lost the race to
 * a barging holder) it re-arms and parks again without touching the graph lock, so a waiter that
 * loses again and again costs no global lock traffic. A verdict given after its read comes with
 * an unpark; the permit makes the next park return at once and the loop sees the verdict.
 *
 * <p><b>Time per contended call</b> ({@code ContendedCounts} and JFR, {@code docs/performance.md},
 * "Issue 13, session 4"): with two threads each on a core, both this lock and
 * {@code ReentrantLock} hand the lock to the other thread 40-200 times per 1,000 calls and park
 * hundreds of thousands of times a second (when the two threads share one core, hand-offs and
 * parks nearly vanish and both run at one thread's speed). Each hand-off moves the lock word's
 * and the target's cache lines between cores. Until session 5 each entry that missed its first
 * re-try also took the graph lock twice; that, not the park, was what this lock paid beyond
 * {@code ReentrantLock}, and light registrations removed it for fresh entries (the queue lock,
 * per monitor and uncontended at two threads, is what is left). To keep the lines' moves few, a fresh call reads nothing of the monitor's between its
 * {@code space} and its CAS, and a holder leaving pops its monitor stack before it unlocks (the
 * window in which another thread can take the free lock is as short as {@code ReentrantLock}'s).
 * Padding the lock word onto a line of its own (the object was 72 bytes, so for some allocation
 * addresses {@code firstWaiter} or {@code space} share its line) was
 * measured and showed no effect, so it was not padded. (It is 80 bytes since session 5, plus the
 * 16-byte queue-lock object: see {@code queueLock}.)
 *
 * <p><b>Finding the caller's stack.</b> An entry needs the caller's {@link MonitorStack} (its
 * monitors, for re-entry detection and the hand-off rules; its thread's state, for requests
 * and the wait-for graph). It lives in this layer's slot of the thread's state and is looked
 * up before the CAS, with the request check, so that nothing of the monitor's is read before the CAS. A
 * per-monitor cache of the last holder's stack, read after the CAS and validated by its final
 * {@code thread}, was built and measured (performance.md, "Issue 13, third round"): no gain on
 * the uncontended call (a hot thread-local lookup costs nothing measurable there), and with many
 * short-lived threads, every one of which misses it, runs of {@code EndedThreadsTest}'s program
 * left thousands of ended threads registered; so it was dropped.
 *
 * <p><b>Every cycle has a victim.</b> Re-entries after {@code await}/{@code leave} are not
 * abortable (the caller holds the monitor on its stack and cannot throw there). A cycle of
 * monitor waits always holds a fresh entry: a re-acquirer released its monitor at some time t and
 * its successor on the cycle acquired it after t; if that successor is also a re-acquirer, it
 * released its own monitor after acquiring ours, later still; around a cycle of re-acquirers
 * these times would increase forever.
 *
 * <p><b>Mid-operation waiters first.</b> Entrants that hold other monitors (or re-enter this one
 * after {@code await}/{@code leave}) queue in {@code holdingQueue}, ahead of fresh outermost
 * entries; a release wakes the head of that queue first, and a fresh entrant does not barge past
 * it ({@link #mayTake}). When a deadlock victim unwinds, the monitor it gives up so goes to the
 * thread of the cycle that waits for it, which finishes its operation, instead of to a newcomer
 * that would take it, want the partner's monitor and close the next cycle. With 2,000 threads
 * making random-order transfers between 3 accounts, this took the refusals per transfer from
 * 15-30 (p99 21-43) to at most 1. The wake-up argument is unchanged: {@code firstWaiter} is
 * the head the releaser reads, whichever queue it comes from.
 *
 * <p><b>Progress after a break.</b> A victim usually retries at once. Were it to barge back into
 * the monitor whose release woke its partner, it would win (the partner is still waking up) and
 * the two would close the same cycle again, for ever: a livelock, seen on 2 cores within seconds.
 * So a victim sets {@code MonitorStack.yieldsEntry}: until it next gets a monitor through an entry
 * queue, it takes a free monitor only if no thread is queued ahead of it ({@link #mayTake}), and
 * does not spin. The thread ahead was woken by the release that freed the monitor (or will be, by
 * the release of whoever holds it), so it gets the monitor, finishes its operation and wakes the
 * victim in turn: every broken deadlock lets a non-victim finish. And the victim of a cycle is
 * its youngest operation ({@code MonitorStack.opAge}, kept across a victim's retry), so the
 * oldest operation waiting is never refused and always completes (wait-die's rule).
 *
 * <p><b>Conditions.</b> On every full release (outermost exit, {@code await}, {@code leave}) the
 * holder evaluates waiters' conditions oldest first, still holding the monitor, each distinct
 * condition once ({@link ConditionQueue}); the oldest waiter whose condition holds is granted
 * (CAS) and the monitor is handed to it without unlocking, so the condition is still true when
 * that waiter runs. Entry waiters keep waiting meanwhile.
 */
public final class MonitorLock extends AbstractQueuedSynchronizer implements Waitable {
    private static final long serialVersionUID = 1L;
    /** The AQS state of a held monitor (0: free). */
    static final int LOCKED = 1;

    /**
     * Most spins of a woken entrant before it re-arms and parks again. It starts at 1 and doubles
     * at each wake-up of one entry (as AQS's "postSpins" do): an entrant woken again and again is
     * racing a holder that re-enters at once, and staying awake a little longer lets it catch a
     * release without costing that holder another unpark.
     */
    private static final int MAX_WAKE_SPINS = 255;

    /** The monitor's display name, e.g. {@code Account#3}. */
    public final String name;
    /**
     * The proxy this lock guards, set once before the proxy is published (see
     * {@link ProxySupport#bind}); read to hand out the monitor in place of its target.
     */
    transient MonitorProxy proxy;
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
    /** Condition waiters, grouped by condition, oldest first; made on first use. Holder only. */
    private transient ConditionQueue waiters;
    /**
     * Threads parked (or about to park) entering this monitor while holding other monitors (or
     * re-entering this one after {@code await}/{@code leave}): mid-way through an operation, they
     * go first. Guarded by the graph lock.
     */
    private transient ArrayDeque<ThreadState> holdingQueue;
    /** Threads parked (or about to park) making a fresh outermost entry. Guarded by the graph lock. */
    private transient ArrayDeque<ThreadState> entryQueue;
    /**
     * The waiter a release wakes: the head of {@link #holdingQueue}, else of {@link #entryQueue}
     * (written under the graph lock, read by releasers and entrants).
     */
    private transient volatile ThreadState firstWaiter;
    /** Whether {@link #firstWaiter} holds other monitors: fresh entrants then do not barge past it. */
    private transient volatile boolean firstHolds;
    /**
     * The queue lock: guards the two entry queues and the writes of {@link #firstWaiter} and
     * {@link #firstHolds}. A private object, not this lock's own intrinsic lock: this lock is what
     * a parked entrant's {@code LockSupport.getBlocker} returns to any code, and user code that
     * synchronized on it would stall this monitor's entrants and, through a full registration
     * (which takes the queue lock inside the global graph lock), every full registration in the
     * process ({@code MonitorQueueLockExposureTest}). An empty array: an object of its own that is
     * also serializable, as AQS (and so this class) is.
     */
    private final Object[] queueLock = new Object[0];

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
     * Takes the lock if it is free and the caller (whose stack is {@code s}) may take it. Every
     * re-try of a queued entrant: one CAS from free to locked (a CAS takes the cache line
     * exclusive at once, where a read first would fetch it shared and then upgrade it); a thread
     * that lost a deadlock first checks that nobody is queued ahead of it ({@link #mayTake}).
     */
    boolean tryLock(MonitorStack s) {
        return mayTake(s) && compareAndSetState(0, LOCKED);
    }

    /**
     * The entry fast path: takes the lock if it is free, then checks that the caller (whose stack
     * is {@code s}) may take it ({@link #mayTake}); if not, gives it back at once (a full
     * {@link #unlock}, which wakes the first waiter if it armed itself) and returns false. CAS
     * first: the CAS takes the lock word's line exclusive at once, and the queue head read after
     * it is then a local read, where reading it first could fetch that line shared from the last
     * holder's core and then upgrade it for the CAS. Taking the lock for a moment before finding
     * that one must queue is invisible to the others: the owner field is not set, so the detector
     * sees no holder (as in the window between any CAS and its owner write), and the give-back is
     * an ordinary release.
     */
    boolean tryEnter(MonitorStack s) {
        if (!compareAndSetState(0, LOCKED)) {
            return false;
        }
        ThreadState first = firstWaiter;
        if (first == null || first == s.ts || mayTakePast(s)) {
            return true;
        }
        unlock();
        return false;
    }

    /**
     * @return whether the caller (whose stack is {@code s}) may take this monitor when it is
     *     free: always when nobody is queued; otherwise not if it lost a deadlock (see
     *     {@code MonitorStack.yieldsEntry}), nor if it makes a fresh outermost entry while a
     *     thread mid-way through an operation waits (the hand-off below)
     */
    boolean mayTake(MonitorStack s) {
        ThreadState first = firstWaiter;
        return first == null || first == s.ts || mayTakePast(s);
    }

    /** @return whether the caller may take this monitor past the queue's head, which is another thread */
    private boolean mayTakePast(MonitorStack stack) {
        return !stack.yieldsEntry && (!firstHolds || stack.depth() > 0);
    }

    /** @return whether the lock is free now (a volatile read: spin on this, then {@link #tryLock(MonitorStack)}) */
    public boolean isFree() {
        return getState() == 0;
    }

    void setOwner(Thread t) {
        setExclusiveOwnerThread(t);
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
    void unlock() {
        setExclusiveOwnerThread(null);
        setState(0);
        wakeFirstWaiter(); // its read of firstWaiter pairs with wakeHeadIfFree (a victim that left the queue)
    }

    /** Wakes the queue's head if it armed its wake flag and this thread wins the flag. */
    private void wakeFirstWaiter() {
        ThreadState first = firstWaiter;
        if (first != null && first.claimEntryWake()) {
            LockSupport.unpark(first.thread);
        }
    }

    // ------------------------------------------------------------------ entry queue (queue lock)

    /**
     * Registers the caller (whose stack is {@code s}) as waiting to enter. Takes the queue lock
     * (a full registration takes it inside the graph lock, never the other way round).
     */
    private void enqueueEntry(MonitorStack s) {
        enqueueEntry(s.ts, s.depth() > 0);
    }

    /**
     * Registers {@code ts} as waiting to enter: in the holding queue if it is mid-way through an
     * operation ({@code holding}: it holds other monitors), else in the entry queue. Takes the
     * queue lock. Package-private for the jcstress test of the victim's leaving
     * ({@code EntryQueueLeaveWakeTest}).
     */
    void enqueueEntry(ThreadState ts, boolean holding) {
        synchronized (queueLock) {
            enqueueEntryLocked(ts, holding);
        }
    }

    private void enqueueEntryLocked(ThreadState ts, boolean holding) {
        if (holding) {
            if (holdingQueue == null) {
                holdingQueue = new ArrayDeque<>(4);
            }
            holdingQueue.addLast(ts);
        } else {
            if (entryQueue == null) {
                entryQueue = new ArrayDeque<>(4);
            }
            entryQueue.addLast(ts);
        }
        updateFirst();
    }

    /** Unregisters {@code ts}. Takes the queue lock. */
    private void dequeueEntry(ThreadState ts) {
        synchronized (queueLock) {
            dequeueEntryLocked(ts);
        }
    }

    private void dequeueEntryLocked(ThreadState ts) {
        if (!(holdingQueue != null && holdingQueue.removeFirstOccurrence(ts)) && entryQueue != null) {
            entryQueue.removeFirstOccurrence(ts);
        }
        updateFirst();
    }

    /**
     * After a waiter left the queue without the monitor (a victim): wakes the queue's head if the
     * monitor is free. A release between the leaver's disarming of its own wake flag and its
     * leaving the queue read the leaver as the head, found its flag disarmed and woke nobody; the
     * new head, parked, would then wait for a release that may never come (as AQS's
     * {@code cancelAcquire} wakes its successor). The leaver wrote the new head ({@code firstWaiter},
     * volatile, in {@link #dequeueEntry}), then reads the lock word here; a releaser writes the lock
     * word, then reads {@code firstWaiter}: Dekker's pattern, so one of the two wakes the new head.
     * Pairs with {@link #unlock()}. An extra unpark is harmless (every park is in a loop).
     */
    private void wakeHeadIfFree() {
        if (isFree()) {
            wakeFirstWaiter();
        }
    }

    /**
     * Leaves the entry queue without the monitor (a deadlock victim, {@code ts} being the caller's
     * state): disarms its own wake flag, leaves the queue, and wakes the new head if the monitor is
     * free ({@link #wakeHeadIfFree}, whose write-head-then-read-lock-word pairs with
     * {@link #unlock()}). Package-private for the jcstress test of this protocol
     * ({@code EntryQueueLeaveWakeTest}: a release racing this, with a third thread armed behind
     * the leaver, never leaves that thread parked on a free monitor).
     */
    void leaveQueueWithoutMonitor(ThreadState ts) {
        ts.wantEntryWake(false);
        dequeueEntry(ts);
        wakeHeadIfFree();
    }

    /** Queue lock held. */
    private void updateFirst() {
        ThreadState h = holdingQueue == null ? null : holdingQueue.peekFirst();
        ThreadState head = h != null ? h : entryQueue == null ? null : entryQueue.peekFirst();
        boolean holds = h != null;
        if (firstHolds != holds) {
            firstHolds = holds; // before firstWaiter: an entrant that sees the new head sees this too
        }
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
     * @param monitor the monitor being entered, for the wait-for graph's messages: this lock, or a
     *     monitor of the space whose shared lock this is
     * @throws org.safethread.DeadlockException if this entry is chosen to break a deadlock
     */
    void lockContended(MonitorLock monitor, MonitorStack s, boolean abortable, int maxSpins) {
        // Adaptive spinning: spin up to this monitor's budget; a spin that gets in grows the
        // budget, one that does not halves it. A holder that re-enters at once (a tight loop)
        // makes spinning useless and costly (every spin bounces the lock word's cache line).
        int budget = s.yieldsEntry ? 0 : Math.min(spinBudget, maxSpins); // a deadlock loser queues
        for (int i = 0; i < budget; i++) {
            if (isFree() && tryLock(s)) { // read first: a failing CAS would steal the holder's line
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
        waitToEnter(monitor, s, abortable);
        if (spinBudget == 0 && maxSpins > 0) {
            spinBudget = 1; // let spinning prove itself again now and then
        }
    }

    /**
     * Waits to enter (after spinning failed): joins the entry queue and the wait-for graph, looks
     * for a cycle, parks until the monitor can be taken.
     *
     * @throws DeadlockException if this entry is the victim of a deadlock
     */
    private void waitToEnter(MonitorLock monitor, MonitorStack stack, boolean abortable) {
        ThreadState ts = stack.ts;
        if (stack.opAge == 0) {
            stack.opAge = System.nanoTime();
        }
        // A thread that holds no monitor and is in no blocker role is a blocker of nothing, so its
        // wait cannot close a cycle: it registers lightly, without the graph lock, and does not
        // walk (WaitForGraph's notes, "Light registrations").
        boolean light = abortable && stack.depth() == 0 && !WaitForGraph.inBlockerRole(ts);
        long delay = light ? 0 : Settings.deadlockDelayNanos();
        boolean checked = delay == 0;
        if (light) {
            // No re-try here, unlike the full path: straight to the park loop's armed re-try. A
            // light registration takes a few tens of nanoseconds, and a re-try that soon after the
            // failed CAS catches the holder between its release and its next (barging) entry: the
            // entrant wins, the holder becomes the waiter, and the monitor's lines move between
            // cores. Measured at 2 threads (ContendedCounts, docs/performance.md, session 5): with
            // this re-try 45-117 hand-offs per 1,000 calls and 22-30 calls/us; without it 27-45
            // and 31-41 (ReentrantLock 36-44 in the same rounds).
            enqueueEntry(stack);
            WaitForGraph.registerLight(ts, monitor, stack.opAge);
        } else if (enterRegistered(monitor, stack, abortable, checked)) {
            return;
        }
        parkToEnter(stack, light, checked, delay);
    }

    /**
     * The full registration: under the graph lock, joins the entry queue and the wait-for graph,
     * re-tries, and (unless detection is delayed) walks.
     *
     * @return true if the entry got the monitor
     * @throws DeadlockException if this entry is the victim of a deadlock it closed
     */
    private boolean enterRegistered(MonitorLock monitor, MonitorStack stack, boolean abortable, boolean checked) {
        ThreadState ts = stack.ts;
        WaitForGraph.lock();
        try {
            enqueueEntry(stack);
            // a space member names itself; its edges are the space's
            WaitForGraph.register(ts, monitor, abortable, stack.opAge);
            // Not armed yet: the wake-up is armed in the park loop below, right before the re-check
            // that precedes each park. Armed here, every release in the window until that park
            // (the detection walk, the graph unlock, the JFR and counter bookkeeping) would pay an
            // unpark for a thread that is not parked yet, and most entries that get this far take
            // the monitor at the re-try just below: at 2 threads on one monitor that was 4-5
            // unparks per park (docs/performance.md, session 4).
            if (tryLock(stack)) {
                leaveQueue(stack);
                return true;
            }
            return checked && detectFor(stack); // true: the re-try before declaring succeeded
        } finally {
            WaitForGraph.unlock();
        }
    }

    /**
     * Parks, registered (fully or lightly) and queued, until the monitor is taken or a verdict
     * refuses the entry.
     *
     * @param light whether the registration is light (no graph lock unless a verdict came)
     * @param checked whether the detector has walked for this entry (a full registration with a
     *     detection delay walks once the delay is over)
     */
    private void parkToEnter(MonitorStack stack, boolean light, boolean checked, long delay) {
        ThreadState ts = stack.ts;
        Counters.CONTENDED_ENTRIES.increment();
        ContendedEntryEvent jfr = new ContendedEntryEvent(); // committed only above its threshold
        jfr.begin();
        long start = System.nanoTime();
        int wakeSpins = 0;
        ts.detach();
        boolean interrupted = false; // entry is not interruptible: keep the status for the caller
        try {
            for (;;) {
                // Arm the wake-up, then re-check, then park, with nothing in between that could
                // park (and so swallow the unpark meant for us): a releaser frees the lock before
                // it reads the flag, so either this re-check sees the lock free, or that releaser
                // sees the flag, wins it, and unparks us. Pairs with unlock().
                ts.wantEntryWake(true);
                boolean acquired = tryLock(stack);
                if (!acquired) {
                    if (checked) {
                        LockSupport.park(this);
                    } else {
                        LockSupport.parkNanos(this, Math.max(1, start + delay - System.nanoTime()));
                    }
                    if (Thread.interrupted()) {
                        interrupted = true; // else park would return at once, and we would spin
                    }
                    // Woken (or spurious): spin a little, the holder may be about to release.
                    acquired = tryLock(stack);
                    wakeSpins = Math.min(MAX_WAKE_SPINS, wakeSpins * 2 + 1);
                    for (int i = 0; i < wakeSpins && !acquired; i++) {
                        Thread.onSpinWait();
                        // Read before CAS: a failing CAS would take the lock word's cache line
                        // away from the holder, which is about to need it.
                        acquired = isFree() && tryLock(stack);
                    }
                }
                if (!acquired && checked && !WaitForGraph.hasVerdict(ts)) {
                    // Lost the race to a barging holder, and nothing else to do: re-arm and park
                    // without the graph lock (a verdict given after this read comes with an
                    // unpark, which makes the next park return at once; the loop then sees it).
                    continue;
                }
                if (acquired && light) {
                    leaveLight(stack);
                    return;
                }
                WaitForGraph.lock();
                try {
                    // A thread that gets the monitor cannot be a victim: its monitor was not held
                    // by a blocked thread.
                    if (acquired || tryLock(stack)) {
                        leaveQueue(stack);
                        return;
                    }
                    DeadlockException verdict = WaitForGraph.takeVerdict(ts);
                    if (verdict != null) {
                        throw lostDeadlock(stack, verdict);
                    }
                    if (!checked && System.nanoTime() - start >= delay) {
                        checked = true;
                        if (detectFor(stack)) {
                            return;
                        }
                    }
                } finally {
                    WaitForGraph.unlock();
                }
            }
        } finally {
            ts.attach();
            jfr.entered(this);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Runs the detector for this entry. Graph lock held. @return true if the entry got the monitor */
    private boolean detectFor(MonitorStack s) {
        boolean got;
        try {
            got = WaitForGraph.detect(s.ts);
        } catch (DeadlockException e) {
            throw lostDeadlock(s, e);
        }
        if (got) {
            leaveQueue(s);
        }
        return got;
    }

    /**
     * Leaves a light registration and the entry queue holding the monitor, without the graph lock
     * unless a verdict reached the wait meanwhile (the abort hook's; the detector's cannot reach a
     * wait that is about to get its monitor: WaitForGraph's notes).
     */
    private void leaveLight(MonitorStack s) {
        s.yieldsEntry = false; // waited its turn (a victim sets it again after losing)
        s.ts.wantEntryWake(false);
        dequeueEntry(s.ts);
        if (WaitForGraph.leaveLight(s.ts)) {
            WaitForGraph.lock();
            try {
                WaitForGraph.deregister(s.ts);
            } finally {
                WaitForGraph.unlock();
            }
        }
    }

    /** Leaves the entry queue holding the monitor. Graph lock held. */
    private void leaveQueue(MonitorStack s) {
        s.yieldsEntry = false; // waited its turn (a victim sets it again after losing)
        s.ts.wantEntryWake(false);
        dequeueEntry(s.ts);
        WaitForGraph.deregister(s.ts);
    }

    /** Leaves the entry queue as a deadlock victim. Graph lock held. */
    private DeadlockException lostDeadlock(MonitorStack s, DeadlockException e) {
        leaveQueueWithoutMonitor(s.ts);
        WaitForGraph.deregister(s.ts);
        s.yieldsEntry = true;
        s.justLost = true;
        return e;
    }

    // ------------------------------------------------------------------ the wait-for graph's view

    /**
     * The holder, unless it is {@code waiter} itself (which then just acquired: a stale wait). A
     * monitor of a space answers for its space's shared lock, which is what its entrants wait for.
     */
    @Override
    public void blockers(ThreadState waiter, List<ThreadState> out) {
        Thread owner = space.ownerThread();
        ThreadState holder = owner == null ? null : ThreadRegistry.stateOf(owner);
        if (holder != null && holder != waiter) {
            out.add(holder);
        }
    }

    /** Its blocker is its holder, read racily: the walk never follows it into a light waiter. */
    @Override
    public boolean blockersHold() {
        return true;
    }

    /** Runs on {@code waiter}'s own thread (the detector walks on the thread that registered). */
    @Override
    public boolean retry(ThreadState waiter) {
        MonitorStack s = MonitorStack.current();
        assert s.ts == waiter : "the detector's re-try runs on the waiter's thread";
        return space.tryLock(s);
    }

    /** @return {@code Account#3}, or {@code Account#3 in space bank} */
    @Override
    public String waitableName() {
        return displayName();
    }

    @Override
    public String refusalNote() {
        return "its entry into " + displayName() + " is refused; that monitor was not entered and is unchanged; "
                + "retry the operation";
    }

    // ------------------------------------------------------------------ releasing

    /**
     * @return whether condition waiters wait on this monitor, or a branch opened inside its
     *     current entry is open (holder only: only the holder adds them): the exit's slow path
     */
    boolean hasConditionWaiters() {
        return waiters != null && !waiters.isEmpty();
    }

    /**
     * Fully releases the monitor held by the caller, whose stack is {@code s} (its outermost exit, an {@code await} or a
     * {@code leave}): hands it to the oldest condition waiter whose condition now holds, else
     * unlocks. The caller still has this monitor on top of its stack, so conditions that call
     * back into the monitor re-enter it directly.
     *
     * @param skip a waiter not to evaluate (the caller's own, just found false), or null
     */
    void release(MonitorStack s, ConditionWaiter skip) {
        if (waiters != null && !waiters.isEmpty() && handOff(s, skip)) {
            return;
        }
        unlock();
    }

    private boolean handOff(MonitorStack stack, ConditionWaiter skip) {
        stack.beginEvaluating(this);
        try {
            ConditionWaiter w = waiters.grantOldestReady(skip);
            if (w == null) {
                return false;
            }
            this.holds = w.savedHolds;
            setOwner(w.ts.thread);
            // Only now may the waiter run: it ignores GRANTING (see ConditionWaiter).
            w.completeGrant();
            LockSupport.unpark(w.ts.thread);
            return true;
        } finally {
            stack.endEvaluating();
        }
    }

    // ------------------------------------------------------------------ condition waiters (holder only)

    /** A branch was opened inside this monitor's current entry (holder only; {@code MonitorStack.pin}). */
    void addPin() {
        if (waiters == null) {
            waiters = new ConditionQueue();
        }
        waiters.pins++;
    }

    /** That branch ended, or its entry is exiting (holder only). */
    void removePin() {
        waiters.pins--;
    }

    /** @return whether a branch opened inside this monitor's current entry is still open (holder only) */
    boolean hasPins() {
        return waiters != null && waiters.hasPins();
    }

    /** @return whether {@code t} waits on one of this monitor's conditions (holder only) */
    boolean hasConditionWaiter(Thread t) {
        return waiters != null && waiters.hasWaiter(t);
    }

    void appendWaiter(ConditionWaiter w) {
        if (waiters == null) {
            waiters = new ConditionQueue();
        }
        waiters.add(w);
    }

    void removeWaiter(ConditionWaiter w) {
        if (waiters != null) {
            waiters.remove(w);
        }
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
