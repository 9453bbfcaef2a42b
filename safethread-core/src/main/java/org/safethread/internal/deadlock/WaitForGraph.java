package org.safethread.internal.deadlock;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.safethread.DeadlockException;
import org.safethread.internal.events.ContendedEntryEvent;
import org.safethread.internal.monitor.MonitorLock;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.Settings;
import org.safethread.internal.runtime.ThreadRegistry;
import org.safethread.internal.runtime.ThreadState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wait-for graph over threads blocked entering monitors, and the detector that breaks its
 * cycles.
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>Graph.</b> Edges "thread T waits for monitor M" are {@code T.waitingFor}, written only
 * under {@link #LOCK}. Edges "M is held by T" are the monitors' owner fields, written by holders
 * without any lock. Nothing here runs on the uncontended path: a thread takes {@code LOCK} only
 * when it is about to park, when it wakes up and re-tries, and when it stops waiting; a releaser
 * never takes it (it reads the entry queue's volatile head).
 *
 * <p><b>Detection.</b> A cycle can only be closed by a thread that starts waiting: acquiring a
 * monitor never closes one (an acquirer is running, and every thread of a cycle waits). So the
 * thread about to park walks from the monitor it wants: owner, the monitor that owner waits for,
 * its owner, and so on, under {@code LOCK}. Reaching itself means a cycle.
 *
 * <p><b>No false positives.</b> A thread registered in the graph cannot release a monitor (it is
 * inside an entry, doing nothing but re-trying it) and cannot deregister while we hold
 * {@code LOCK}. So for every registered thread the set of monitors it holds is stable during the
 * walk, except that it may just have acquired the monitor it waits for (its registration is then
 * stale); the walk treats "M's owner is the thread registered as waiting for M" as "not
 * blocked" and stops. A monitor owner read racily is exact enough: if the owner read is a
 * registered thread, that thread's writes before it registered (including clearing the owner of
 * anything it released) happen-before our {@code LOCK} acquisition, so we cannot see a monitor
 * as held by a registered thread that released it. Every thread on a reported cycle is therefore
 * really blocked on a monitor held by the next, and none can move: the deadlock is real. Before
 * declaring, the detecting thread re-tries its own acquisition once more.
 *
 * <p><b>Victim.</b> The thread whose wait closed the cycle (as PostgreSQL does): it is the one
 * running the detector, so it leaves at once with no hand-off, and it has not entered the monitor
 * it wanted, so that monitor's state is untouched. If it is re-acquiring a monitor after
 * {@code await} or {@code leave} (it cannot throw there: its caller holds the monitor on its
 * stack), the victim is the first thread along the cycle that is making a fresh entry. One always
 * exists: a re-acquirer released its monitor at some time t and its successor on the cycle
 * acquired it after t; if that successor is also a re-acquirer, it released its own monitor
 * after acquiring ours, later still; around a cycle of re-acquirers these times would increase
 * forever. A thread chosen as victim but not yet woken is treated as not waiting, so one cycle
 * never gets two victims.
 *
 * <p><b>Progress after a break.</b> A victim usually retries at once. Were it to barge back into
 * the monitor whose release woke its partner, it would win (the partner is still waking up) and
 * the two would close the same cycle again, for ever: a livelock, seen on 2 cores within seconds.
 * So a victim sets {@link ThreadState#yieldsEntry}: until it next gets a monitor through an entry
 * queue, it takes a free monitor only if no thread is queued ahead of it ({@link
 * MonitorLock#mayTake}), and does not spin. The thread ahead was woken by the release that freed
 * the monitor (or will be, by the release of whoever holds it), so it gets the monitor, finishes
 * its operation and wakes the victim in turn: every broken deadlock lets a non-victim finish.
 * The fast path pays one plain read of a field of the caller's own ThreadState for this.
 *
 * <p><b>Delay.</b> With {@code safethread.deadlock.delay} &gt; 0 the thread parks that long
 * before walking (python-safethread waited 1 s); the default 0 detects at once.
 */
public final class WaitForGraph {
    private static final Logger LOG = LoggerFactory.getLogger(WaitForGraph.class);

    /** The graph lock: taken only by threads about to park, waking, or leaving the queue. */
    public static final ReentrantLock LOCK = new ReentrantLock();

    /**
     * Most spins of a woken entrant before it re-arms and parks again. It starts at 1 and doubles
     * at each wake-up of one entry (as AQS's "postSpins" do): an entrant woken again and again is
     * racing a holder that re-enters at once, and staying awake a little longer lets it catch a
     * release without costing that holder another unpark.
     */
    private static final int MAX_WAKE_SPINS = 255;

    /** Threads registered as waiting now; bounds the walk. Guarded by LOCK. */
    private static int waiting;

    private WaitForGraph() {
    }

    /** One hop of a cycle: {@code thread} waits for {@code monitor}, held by {@code holder}. */
    private record Hop(ThreadState thread, MonitorLock monitor, ThreadState holder) {
    }

    /** The data a victim turns into its {@link DeadlockException}. */
    private record Verdict(String message, List<DeadlockException.Link> cycle, String victim, long closedAt) {
    }

    /**
     * Waits to enter {@code m} (after spinning failed): registers in the graph, detects, parks
     * until the monitor can be taken.
     *
     * @throws DeadlockException if this thread is the victim of a deadlock
     */
    public static void waitToEnter(MonitorLock m, ThreadState ts, boolean abortable) {
        LOCK.lock();
        try {
            m.enqueueEntry(ts);
            ts.waitingFor = m;
            ts.abortable = abortable;
            ts.abortWith = null;
            waiting++;
            ts.wantEntryWake(true);
            if (m.tryLock(ts)) {
                leave(m, ts);
                return;
            }
            if (Settings.deadlockDelayNanos() == 0 && detect(m, ts)) {
                return; // the re-try before declaring succeeded
            }
        } finally {
            LOCK.unlock();
        }
        Counters.CONTENDED_ENTRIES.increment();
        ContendedEntryEvent jfr = new ContendedEntryEvent();
        jfr.begin();
        long delay = Settings.deadlockDelayNanos();
        boolean checked = delay == 0;
        long start = System.nanoTime();
        int wakeSpins = 0;
        ts.detach();
        boolean interrupted = false; // entry is not interruptible: keep the status for the caller
        try {
            for (;;) {
                // Arm the wake-up, then re-check, then park, with nothing in between that could
                // park (and so swallow the unpark meant for us): a releaser frees the lock before
                // it reads the flag, so either this re-check sees the lock free, or that releaser
                // sees the flag, wins it, and unparks us.
                ts.wantEntryWake(true);
                boolean acquired = m.tryLock(ts);
                if (!acquired) {
                    if (checked) {
                        LockSupport.park(m);
                    } else {
                        LockSupport.parkNanos(m, Math.max(1, start + delay - System.nanoTime()));
                    }
                    if (Thread.interrupted()) {
                        interrupted = true; // else park would return at once, and we would spin
                    }
                    // Woken (or spurious): spin a little, the holder may be about to release.
                    acquired = m.tryLock(ts);
                    wakeSpins = Math.min(MAX_WAKE_SPINS, wakeSpins * 2 + 1);
                    for (int i = 0; i < wakeSpins && !acquired; i++) {
                        Thread.onSpinWait();
                        // Read before CAS: a failing CAS would take the lock word's cache line
                        // away from the holder, which is about to need it.
                        acquired = m.isFree() && m.tryLock(ts);
                    }
                }
                LOCK.lock();
                try {
                    // A thread that gets the monitor cannot be a victim: its monitor was not held
                    // by a blocked thread.
                    if (acquired || m.tryLock(ts)) {
                        leave(m, ts);
                        return;
                    }
                    Object verdict = ts.abortWith;
                    if (verdict != null) {
                        leave(m, ts);
                        ts.yieldsEntry = true;
                        throw victimException((Verdict) verdict);
                    }
                    if (!checked && System.nanoTime() - start >= delay) {
                        checked = true;
                        if (detect(m, ts)) {
                            return;
                        }
                    }
                } finally {
                    LOCK.unlock();
                }
            }
        } finally {
            ts.attach();
            jfr.entered(m);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void leave(MonitorLock m, ThreadState ts) {
        ts.yieldsEntry = false; // waited its turn (a victim sets it again after leaving)
        ts.wantEntryWake(false);
        m.dequeueEntry(ts);
        ts.waitingFor = null;
        ts.abortWith = null;
        waiting--;
    }

    /**
     * Walks from {@code start}'s wait; breaks a cycle if it finds one. Caller holds LOCK.
     *
     * @return true if the final re-try acquired {@code m} (no deadlock after all; deregistered)
     * @throws DeadlockException if {@code start} is the victim (deregistered)
     */
    private static boolean detect(MonitorLock m, ThreadState start) {
        List<Hop> path = new ArrayList<>();
        MonitorLock mon = m;
        ThreadState cur = start;
        for (int i = 0; i <= waiting; i++) {
            Thread owner = mon.ownerThread();
            ThreadState holder = owner == null ? null : ThreadRegistry.stateOf(owner);
            if (holder == null || holder == cur) {
                return false; // free (the waiter will get it), or a stale registration
            }
            path.add(new Hop(cur, mon, holder));
            if (holder == start) {
                return breakCycle(m, start, path);
            }
            Object next = holder.waitingFor;
            if (next == null || holder.abortWith != null) {
                return false; // the holder runs, or is already leaving as a victim
            }
            cur = holder;
            mon = (MonitorLock) next;
        }
        return false; // we lead into a cycle that does not contain us; its closer breaks it
    }

    private static boolean breakCycle(MonitorLock m, ThreadState start, List<Hop> path) {
        if (m.tryLock(start)) {
            leave(m, start);
            return true;
        }
        int v = -1;
        for (int i = 0; i < path.size(); i++) {
            if (path.get(i).thread.abortable) {
                v = i;
                break;
            }
        }
        if (v < 0) {
            LOG.error("safethread: deadlock among threads that are all re-entering monitors after await/leave; "
                    + "this should be impossible: {}", describe(path, 0));
            return false;
        }
        long now = System.nanoTime();
        Verdict verdict = new Verdict(describe(path, v), links(path, v), label(path.get(v).thread.thread), now);
        Counters.DEADLOCKS_BROKEN.increment();
        if (LOG.isDebugEnabled()) {
            LOG.debug("safethread: {}", verdict.message);
        }
        ThreadState victim = path.get(v).thread;
        if (victim == start) {
            leave(m, start);
            start.yieldsEntry = true;
            throw victimException(verdict);
        }
        victim.abortWith = verdict;
        LockSupport.unpark(victim.thread);
        return false;
    }

    private static DeadlockException victimException(Verdict verdict) {
        long latency = System.nanoTime() - verdict.closedAt;
        DeadlockBrokenEvent event = new DeadlockBrokenEvent();
        if (event.isEnabled()) {
            event.cycle = verdict.message;
            event.victim = verdict.victim;
            event.threads = verdict.cycle.size();
            event.detectionLatency = latency;
            event.commit();
        }
        return new DeadlockException(verdict.message, verdict.cycle);
    }

    /** @return a thread's name, or {@code #id} for an unnamed (e.g. virtual) thread */
    static String label(Thread t) {
        String n = t.getName();
        return n.isEmpty() ? "#" + threadId(t) : n;
    }

    /** "Deadlock: bank-1 holds Account#3 and waits for Account#7, held by bank-2, which waits for …". */
    private static String describe(List<Hop> path, int victim) {
        int n = path.size();
        StringBuilder b = new StringBuilder("Deadlock between ").append(n).append(n == 1 ? " thread: " : " threads: ");
        Hop first = path.get(victim);
        b.append(label(first.thread.thread)).append(" holds ").append(path.get((victim + n - 1) % n).monitor.name)
                .append(" and waits for ").append(first.monitor.name);
        for (int k = 1; k < n; k++) {
            Hop h = path.get((victim + k) % n);
            b.append(", held by ").append(label(h.thread.thread)).append(", which waits for ").append(h.monitor.name);
        }
        b.append(", held by ").append(label(first.thread.thread)).append(". Victim: ")
                .append(label(first.thread.thread)).append(" (its entry into ").append(first.monitor.name)
                .append(" is refused; that monitor was not entered and is unchanged; retry the operation)");
        return b.toString();
    }

    private static List<DeadlockException.Link> links(List<Hop> path, int victim) {
        int n = path.size();
        List<DeadlockException.Link> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            Hop h = path.get((victim + k) % n);
            Hop before = path.get((victim + k + n - 1) % n);
            out.add(new DeadlockException.Link(h.thread.thread.getName(), threadId(h.thread.thread),
                    before.monitor.name, h.monitor.name));
        }
        return out;
    }

    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same value
    private static long threadId(Thread t) {
        return t.getId();
    }

}
