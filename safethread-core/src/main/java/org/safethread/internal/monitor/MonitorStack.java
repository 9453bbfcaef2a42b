package org.safethread.internal.monitor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import org.safethread.internal.runtime.ThreadState;

/**
 * The monitor layer's per-thread state: the monitors a thread is inside, outermost first, and
 * what its entries need to remember (a lost deadlock, its operation's age); owner thread only. A
 * {@link #LEFT} marker is pushed while the thread runs a {@code Monitor.leave} action, so that
 * the left monitor is no longer its innermost (and {@code await} there refuses).
 *
 * <p><b>Where it lives.</b> In this layer's typed slot of the runtime's {@link ThreadState}
 * ({@link ThreadState#newSlot}), so the runtime, below this layer, never names it. Only the thread
 * itself ever uses its stack (every entry, exit, {@code await}, {@code leave} and branch pin is
 * made by the thread on its own stack; the detector's re-try runs on the waiter's own thread). The
 * stack knows its thread's state ({@link #ts}, final), so an entry that has its stack reaches the
 * fast-path key and the attach protocol without a second lookup ({@link #currentPolled()}: one
 * compare of the key with the calling thread says both that the entry is the caller's and that
 * nothing is asked of it): a fresh entry finds its stack in
 * the by-thread table below (the slot, behind the runtime's {@code ThreadLocal}, only on a miss).
 * A thread's stack is made once, on its first monitor call, before that call's CAS, and never
 * replaced while the thread lives. (A thread-local of this layer's own was tried: with 10^6 short
 * virtual threads, one monitor call each, {@code EndedThreadsTest}'s program then ended with
 * 3,000-4,800 ended threads still registered in 3 runs of 3, against 2-62 for main and for this
 * slot; see docs/performance.md.)
 *
 * <h2>Implementation notes: the by-thread table</h2>
 *
 * <p>{@link #current()} runs on every monitor entry, before the entry's CAS, and on x86 that CAS
 * (a locked instruction, a full fence) waits for the loads before it: the lookup's chain of
 * dependent loads is on every call's critical path. Through the {@code ThreadLocal} behind
 * {@link ThreadState#current()} and then the slot it is about ten loads (the thread's map, its
 * table, the entry, its referent for the identity check, the value, the slot array, the slot).
 * So the stack is found first in {@code BY_THREAD}, a direct-mapped table indexed by the low bits
 * of the thread's id, whose entry is used only if its {@link #thread} is the calling thread:
 * three loads (the id, the entry, its {@code thread}). The uncontended call went from 1.064x to
 * 1.021x the hand-written {@code ReentrantLock} wrapper in per-thread CPU time
 * ({@code CallCpuTime}, docs/performance.md, session 4). The elements are read and written
 * plainly, racily; that is sound because:
 * <ul>
 *   <li>a thread installs only its own stack, on the thread itself ({@link #install}), after
 *       getting it through its slot, so an entry whose {@code thread} is the caller is the
 *       caller's own stack, the one its slot holds (a stack is never replaced while its thread
 *       lives, and neither is the thread's state: when the JDK erases a common-pool worker's
 *       thread-locals, {@code ThreadState.create} takes back the registered state instead of
 *       making a second one; with a second one, the stack from this table named the first while
 *       the registry and the detector saw the second, and a deadlock through the worker hung:
 *       {@code CommonPoolStaleStateTest});</li>
 *   <li>{@code thread} is final and set before the stack is stored anywhere, so a thread that
 *       reads an entry racily sees it as constructed (JLS 17.5): an entry that is null, stale or
 *       another thread's fails the identity check, and the caller takes the slot path and
 *       installs its own (two live threads whose ids collide take turns in the slot, paying the
 *       slow lookup now and then, never using each other's stack);</li>
 *   <li>{@link #currentPolled()} makes the same identity check through the entry's state: its
 *       fast-path key is only ever that state's own thread or null, the state is the entry's
 *       final {@code ts}, and its thread is the entry's {@code thread}; so a key equal to the
 *       caller means the entry is the caller's (and nothing is asked of it), and anything else
 *       sends the caller to the slow lookup, which then polls if asked;</li>
 *   <li>the registry clears an ended thread's entry when it forgets the thread
 *       ({@link #forgotten()}, a CAS from exactly this stack to null, so that a colliding thread
 *       that installed itself meanwhile keeps its entry), so the table does not keep ended
 *       threads' stacks, states and {@code Thread} objects reachable beyond one per slot until
 *       the registry's next prune.</li>
 * </ul>
 * No happens-before edge is needed between an install and another thread's lookup: only the
 * installing thread can ever use the entry. The same design as the refcount layer's
 * {@code DeathCounts} table.
 */
public final class MonitorStack implements ThreadState.Forgettable {
    /**
     * The leave marker: a lock that is never taken, so that every entry is a {@link MonitorLock}
     * and the stack's array is a {@code MonitorLock[]}, whose stores need no element-type check
     * (the class is final, so the array's type is exact).
     */
    private static final MonitorLock LEFT = new MonitorLock("(left)");
    /** The empty array that the pin and evaluation lists start with (they are usually empty). */
    private static final MonitorLock[] NO_LOCKS = new MonitorLock[0];
    /** The stack's first array: deep enough for the usual nesting of a few monitors. */
    private static final int FIRST_CAPACITY = 8;

    /** This layer's slot in every thread's state: made on the thread's first monitor call, on the thread itself. */
    private static final ThreadState.Slot<MonitorStack> SLOT = ThreadState.newSlot(MonitorStack::new);

    /**
     * Slots of the by-thread table (a power of two). Thread ids are handed out in sequence, so
     * 1,024 slots keep up to 1,024 threads made in a row apart, in 4 KiB of references.
     */
    private static final int TABLE_SLOTS = 1024;
    /** Each thread's stack, by the low bits of its id (plain, racy: see the class comment). */
    private static final MonitorStack[] BY_THREAD = new MonitorStack[TABLE_SLOTS];
    private static final VarHandle BY_THREAD_SLOT = MethodHandles.arrayElementVarHandle(MonitorStack[].class);

    /** The thread whose stack this is. */
    final Thread thread;
    /** That thread's runtime state (requests, attach protocol, wait-for graph node). */
    final ThreadState ts;

    /**
     * The entries, outermost first: {@code items[0 .. size - 1]}. A {@code MonitorLock[]}, not an
     * {@code Object[]}: the class is final, so the array's type is exact and a store needs no
     * element-type check ({@code aastore} into an {@code Object[]} does). Push and pop were about
     * 2 ns of a 12 ns uncontended call; with this array the call went from 1.09x to 1.04x the
     * {@code ReentrantLock} wrapper (CPU time, docs/performance.md "Issue 13, third round").
     */
    private MonitorLock[] items = new MonitorLock[FIRST_CAPACITY];
    /** How many entries. */
    private int size;
    /**
     * The monitors whose {@code Monitor.await} conditions this thread is evaluating now, outermost
     * first, {@code evaluating[0 .. evaluatingCount - 1]}: a releaser evaluating its waiters'
     * conditions, or a waiter evaluating its own inside {@code await}. Nested when a condition's
     * call returns from another monitor that has waiters. This thread holds each of them
     * throughout. Read by {@code await} and {@code leave} (refused inside a condition) and by an
     * entry about to wait ({@link ProxySupport}: refused if it would wait for one of these
     * monitors' condition waiters). Empty (no array) until first needed.
     */
    private MonitorLock[] evaluating = NO_LOCKS;
    private int evaluatingCount;
    /**
     * Set when this thread lost a deadlock (it threw {@code DeadlockException} from a monitor
     * entry); cleared when it next gets a monitor through an entry queue. While set, an entry that
     * finds a monitor free but with threads queued for it queues behind them instead of barging
     * past. Without this, a victim that retries at once re-takes the monitor its partner was woken
     * for before the partner runs, and the two deadlock again, for ever (a livelock seen on 2
     * cores). This thread only; read on the entry fast path ({@link MonitorLock#mayTake}).
     */
    boolean yieldsEntry;
    /**
     * The age of this thread's current operation (its outermost monitor call), for victim choice:
     * {@code System.nanoTime()} at its first contended entry, 0 when it has none. A deadlock victim
     * keeps it for its retry, so an operation refused again and again grows older than every
     * newcomer and is no longer chosen (wait-die's rule: the older one never dies). This thread only.
     */
    long opAge;
    /** Set when this thread lost a deadlock; the outermost exit that unwinds it keeps {@link #opAge}. */
    boolean justLost;
    /**
     * Monitors pinned by open branches (CONTRACT §6, "Pinned monitors"), one entry per open
     * branch opened inside a monitor; usually empty, so {@link #isPinned} costs one int compare.
     */
    private MonitorLock[] pins = NO_LOCKS;
    /** The branch behind each pin, {@code pinHolders[i]} for {@code pins[i]}. */
    private Pin[] pinHolders = new Pin[0];
    private int pinCount;

    /**
     * A branch pinning a monitor, as this layer sees it (the branch layer, above, implements it).
     * A branch is opened inside a monitor entry and must end before that entry does: if the entry
     * exits with the branch still open (a monitor method returned or threw without joining or
     * closing it), the exit drops the pin and has the branch closed ({@link ProxySupport}).
     */
    public interface Pin {
        /**
         * Closes the branch on its owner's thread, right after the monitor entry it was opened in
         * has exited (outside that monitor): cancels it and waits for its children.
         *
         * @return the exception that reports the branch left open (its close's failures attached)
         */
        RuntimeException closeAfterEntryExit();
    }

    /** The stack of {@code ts}'s thread (made on that thread itself, by its first {@link #current()}). */
    private MonitorStack(ThreadState ts) {
        this.ts = ts;
        this.thread = ts.thread;
    }

    /**
     * @return the calling thread's monitor stack, made on its first use (the by-thread table; on a
     *     miss the thread-state lookup, a {@code ThreadLocal}, then this layer's slot in it)
     */
    public static MonitorStack current() {
        Thread t = Thread.currentThread();
        MonitorStack s = BY_THREAD[tableSlot(t)];
        return s != null && s.thread == t ? s : currentSlow();
    }

    /**
     * The calling thread's stack, after answering what other threads asked of it (a monitor entry
     * is a runtime call, where requests are answered). One compare checks both that the table's
     * entry is this thread's and that nothing is asked of it: its state's fast-path key
     * ({@link ThreadState#fastPathThreadOpaque()}) is this thread only in that case.
     *
     * @return the calling thread's monitor stack
     */
    public static MonitorStack currentPolled() {
        Thread t = Thread.currentThread();
        MonitorStack s = BY_THREAD[tableSlot(t)];
        return s != null && s.ts.fastPathThreadOpaque() == t ? s : currentPolledSlow(t, s);
    }

    /** Another thread's entry, none, or a request pending: find the stack, then poll if asked. */
    private static MonitorStack currentPolledSlow(Thread t, MonitorStack entry) {
        MonitorStack s = entry != null && entry.thread == t ? entry : currentSlow();
        s.ts.pollIfRequested();
        return s;
    }

    /** The table missed (the thread's first call, or a thread whose id collides took the slot). */
    private static MonitorStack currentSlow() {
        MonitorStack s = ThreadState.current().get(SLOT);
        install(s);
        return s;
    }

    /** Puts the calling thread's own stack in its slot of the table (the calling thread only). */
    private static void install(MonitorStack s) {
        BY_THREAD[tableSlot(s.thread)] = s;
    }

    /** Clears this ended thread's entry in the table, if it is still there (the registry, see the class comment). */
    @Override
    public void forgotten() {
        compareAndSetTableSlot(tableSlot(thread), this, null);
    }

    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same value
    static int tableSlot(Thread t) {
        return (int) t.getId() & (TABLE_SLOTS - 1);
    }

    /** @return what the table's slot of {@code t} holds now, whoever's it is (tests) */
    static MonitorStack tableEntry(Thread t) {
        return BY_THREAD[tableSlot(t)];
    }

    private static boolean compareAndSetTableSlot(int i, MonitorStack expected, MonitorStack value) {
        return BY_THREAD_SLOT.compareAndSet(BY_THREAD, i, expected, value);
    }

    /** @return the runtime state of this stack's thread */
    public ThreadState threadState() {
        return ts;
    }

    void push(MonitorLock m) {
        int n = size;
        if (n == items.length) {
            items = Arrays.copyOf(items, n * 2);
        }
        items[n] = m;
        size = n + 1;
    }

    void pop() {
        int n = size - 1;
        items[n] = null;
        size = n;
        if (n == 0 && opAge != 0) {
            endOperation();
        }
    }

    /** The outermost call returned: a fresh operation gets a fresh age, unless it unwinds a loss. */
    private void endOperation() {
        if (justLost) {
            justLost = false; // the retry that follows keeps its age
        } else {
            opAge = 0;
        }
    }

    void pushLeft() {
        push(LEFT);
    }

    void popLeft() {
        int n = size - 1;
        items[n] = null;
        size = n;
    }

    /** @return the top entry (a monitor or the LEFT marker), or null */
    MonitorLock top() {
        int n = size;
        return n == 0 ? null : items[n - 1];
    }

    /** @return entry {@code i} of the stack, 0 the outermost */
    private MonitorLock entry(int i) {
        return items[i];
    }

    /** @return the innermost monitor this thread is inside, or null (none, or in a leave action) */
    public MonitorLock innermost() {
        MonitorLock t = top();
        return t == LEFT ? null : t;
    }

    /** @return how many monitors (and leave markers) are on the stack */
    public int depth() {
        return size;
    }

    /** @return the top entry (a monitor or a leave marker), or null: identifies the monitor context */
    public Object topEntry() {
        return top();
    }

    /** This thread starts evaluating conditions of {@code m}, which it holds (undone by {@link #endEvaluating}). */
    void beginEvaluating(MonitorLock m) {
        if (evaluatingCount == evaluating.length) {
            evaluating = Arrays.copyOf(evaluating, Math.max(2, evaluatingCount * 2));
        }
        evaluating[evaluatingCount++] = m;
    }

    /** This thread has finished the innermost evaluation begun by {@link #beginEvaluating}. */
    void endEvaluating() {
        evaluating[--evaluatingCount] = null;
    }

    /** @return whether this thread is evaluating a {@code Monitor.await} condition now */
    boolean isEvaluatingConditions() {
        return evaluatingCount > 0;
    }

    /**
     * @return the innermost monitor whose conditions this thread is evaluating and on one of
     *     whose conditions {@code t} waits, or null (this thread holds each of those monitors, so
     *     reading their waiters is exact)
     */
    MonitorLock evaluatedMonitorAwaitedBy(Thread t) {
        for (int i = evaluatingCount - 1; i >= 0; i--) {
            MonitorLock m = evaluating[i];
            if (m.hasConditionWaiter(t)) {
                return m;
            }
        }
        return null;
    }

    /**
     * Pins {@code m}, the innermost monitor, which this thread holds: {@code branch} was opened
     * inside it (undone by {@link #unpin}). Also counted on {@code m} (holder-only), so that the
     * entry's exit takes its slow path and finds the branch if it is still open then.
     */
    public void pin(MonitorLock m, Pin branch) {
        if (pinCount == pins.length) {
            pins = Arrays.copyOf(pins, Math.max(4, pinCount * 2));
            pinHolders = Arrays.copyOf(pinHolders, pins.length);
        }
        pins[pinCount] = m;
        pinHolders[pinCount++] = branch;
        m.addPin();
    }

    /**
     * Removes {@code branch}'s pin, if it is still there (the exit of the entry it was opened in
     * takes it first when the branch was left open). The caller holds the pinned monitor: the
     * branch ends in the monitor context it was opened in.
     */
    public void unpin(Pin branch) {
        for (int i = pinCount - 1; i >= 0; i--) {
            if (pinHolders[i] == branch) {
                pins[i].removePin();
                removePin(i);
                return;
            }
        }
    }

    private void removePin(int i) {
        System.arraycopy(pins, i + 1, pins, i, pinCount - i - 1);
        System.arraycopy(pinHolders, i + 1, pinHolders, i, pinCount - i - 1);
        pinCount--;
        pins[pinCount] = null;
        pinHolders[pinCount] = null;
    }

    /**
     * Takes the pins of {@code m}, whose entry is exiting (this thread holds it, and it is on top
     * of the stack: a monitor is on a stack once), latest first.
     *
     * @return the branches left open inside the exiting entry, or null if none
     */
    Pin[] takePinsOf(MonitorLock m) {
        Pin[] taken = null;
        int n = 0;
        for (int i = pinCount - 1; i >= 0; i--) {
            if (pins[i] == m) {
                if (taken == null) {
                    taken = new Pin[pinCount];
                }
                taken[n++] = pinHolders[i];
                m.removePin();
                removePin(i);
            }
        }
        return taken == null ? null : Arrays.copyOf(taken, n);
    }

    /** @return whether a branch opened inside {@code m} is still open, so await/leave on it are refused */
    public boolean isPinned(MonitorLock m) {
        for (int i = 0; i < pinCount; i++) {
            if (pins[i] == m) {
                return true;
            }
        }
        return false;
    }

    /** @return the innermost monitor on this stack whose proxy's target is {@code target}, or null */
    MonitorLock findByTarget(Object target) {
        for (int i = size - 1; i >= 0; i--) {
            MonitorLock e = entry(i);
            if (e != LEFT) {
                MonitorProxy p = e.proxy;
                if (p != null && p.__safethread_target() == target) {
                    return e;
                }
            }
        }
        return null;
    }

    /** @return the chain from {@code m}'s outermost occurrence to the top, e.g. "A#1 → B#2" */
    String chainFrom(MonitorLock m) {
        int from = 0;
        for (int i = 0; i < size; i++) {
            if (entry(i) == m) {
                from = i;
                break;
            }
        }
        StringBuilder b = new StringBuilder();
        for (int i = from; i < size; i++) {
            if (b.length() > 0) {
                b.append(" → ");
            }
            MonitorLock e = entry(i);
            b.append(e == LEFT ? "(left)" : e.name);
        }
        return b.toString();
    }
}
