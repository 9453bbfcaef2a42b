package org.safethread.internal.refcount;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import org.safethread.internal.runtime.ThreadState;

/**
 * How many {@code RefCounted} objects died ({@code stats().objectsDied()}), counted per thread so
 * that a death costs no atomic read-modify-write: a {@link java.util.concurrent.atomic.LongAdder}
 * increment is a CAS even when uncontended, which cost as much as the CAS that decides the death
 * itself on the path where pool threads release objects made by other pool threads (issue 11).
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>State.</b> One {@code DeathCounts} per thread that has processed a death or counted on
 * an object it does not own (created, and registered here, at the first of these, on the thread
 * itself), holding {@code count} and the thread's state. A global list of registered
 * counters and {@code retired}, the sum of the counters of threads that have ended and were folded.
 * The list and {@code retired} change only under {@code LOCK}.
 *
 * <p><b>Who writes what.</b> {@code count} is written only by its own thread (death processing
 * always runs on the thread whose {@link DeathWork} it uses), so its read-increment-write is not a
 * race. Opaque accesses: a {@code long} is never seen torn (JLS 17.7 allows that for plain
 * accesses), and a reader sees each write eventually; on x86 they are plain moves.
 *
 * <p><b>Reading.</b> {@link #sum()} takes {@code LOCK} and adds {@code retired} and each
 * registered counter's opaque {@code count}. A counter whose thread has ended
 * ({@link Thread#isAlive()} false: the thread's last action, so its last write of {@code count},
 * happens-before that call, JLS 17.4.4) is folded in the same step, under the lock: its final
 * count is added to {@code retired} and it leaves the list, so no count is ever in both places or
 * in neither. Registration takes the lock too and folds ended threads' counters when the list
 * has doubled since the last fold, so the list holds at most about twice the threads that are
 * alive (as {@code ThreadRegistry} does for thread states).
 *
 * <p><b>What a reader sees.</b> A death that happens-before the call to {@link #sum()} (through
 * any synchronization: a join, a future, a lock, a volatile flag) is counted: the read of its
 * thread's counter sees that write or a later one (one writer; coherence of opaque accesses).
 * Deaths concurrent with the call may or may not be counted, as with {@code LongAdder.sum()}.
 * Successive sums by one thread never decrease (opaque reads of one variable are coherent, and a
 * fold moves a final count whole).
 *
 * <p><b>Found by thread id.</b> The count engine's non-owner paths ({@link CurrentThread}: the
 * release of an object without owner, {@link UnownedRelease}, and the slow paths of
 * {@code incref}/{@code decref}) find the calling thread's counter, and through it the thread's
 * state, without the {@code ThreadLocal} lookup: {@code BY_THREAD} is a direct-mapped table indexed by the low bits
 * of {@link Thread#getId()}, whose entry is used only if its {@code thread} is the calling
 * thread. Its elements are read and written plainly, racily; that is sound because:
 * <ul>
 *   <li>a thread writes only its own counter into the table ({@link #install}, on the thread
 *       itself), so an entry whose {@code thread} is the caller was made and registered by the
 *       caller; writes to its {@code count} through the table and through the thread's
 *       {@link DeathWork} stay one thread's writes;</li>
 *   <li>{@code thread} and {@code state} are final and set before the counter is stored
 *       anywhere, so a thread that reads an entry racily sees them as constructed (JLS 17.5);
 *       an entry that is null, stale, or another thread's fails the identity check, and the
 *       caller installs its own (two live threads whose ids collide take turns in the slot,
 *       paying the lookup again, never counting on each other's counter);</li>
 *   <li>a counter in the table stays registered while its thread is alive (only ended threads
 *       are folded), so a count added through the table is in every later sum; the fold clears
 *       an ended thread's slot, so the table does not keep ended threads' states reachable.</li>
 * </ul>
 */
public final class DeathCounts {
    /** Smallest list size at which registration folds ended threads: folding a handful is not worth a pass. */
    private static final int MIN_FOLD_AT = 64;
    private static final Object LOCK = new Object();
    private static final VarHandle COUNT;

    static {
        try {
            COUNT = MethodHandles.lookup().findVarHandle(DeathCounts.class, "count", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ---- guarded by LOCK ----
    private static DeathCounts[] registered = new DeathCounts[16];
    private static int size;
    private static long retired;
    private static int foldAt = MIN_FOLD_AT;

    /**
     * Slots of the by-thread table (a power of two). Thread ids are handed out in sequence, so
     * 1,024 slots keep up to 1,024 threads made in a row apart, in 4 KiB of references.
     */
    private static final int SLOTS = 1024;
    /** Each thread's counter, by the low bits of its id (plain, racy: see the class comment). */
    private static final DeathCounts[] BY_THREAD = new DeathCounts[SLOTS];

    private final Thread thread;
    /** The state of {@link #thread}, for the paths that find the counter by thread id ({@link CurrentThread}). */
    final ThreadState state;
    /** Deaths processed by {@link #thread}; written by it only (opaque), read by anyone (opaque). */
    @SuppressWarnings("unused")
    private long count;

    private DeathCounts(Thread thread, ThreadState state) {
        this.thread = thread;
        this.state = state;
    }

    /**
     * Creates and registers the calling thread's counter.
     *
     * @return the counter, to be kept by the calling thread and used only by it
     */
    static DeathCounts registerCurrentThread() {
        return registerCurrentThread(ThreadState.current());
    }

    /**
     * {@link #registerCurrentThread()} for a caller that has the current thread's state at hand.
     *
     * @param ts the calling thread's state
     * @return the counter, to be kept by the calling thread and used only by it
     */
    static DeathCounts registerCurrentThread(ThreadState ts) {
        DeathCounts c = new DeathCounts(Thread.currentThread(), ts);
        synchronized (LOCK) {
            if (size >= foldAt) {
                foldEnded();
                foldAt = Math.max(MIN_FOLD_AT, 2 * size);
            }
            if (size == registered.length) {
                registered = Arrays.copyOf(registered, size * 2);
            }
            registered[size++] = c;
        }
        return c;
    }

    /**
     * @return the calling thread's counter if the by-thread table holds it, else null (the caller
     *     then {@link #install}s it)
     */
    static DeathCounts ofCurrentThread() {
        Thread t = Thread.currentThread();
        DeathCounts c = BY_THREAD[slot(t)];
        return c != null && c.thread == t ? c : null;
    }

    /**
     * Puts the calling thread's counter in the by-thread table (the calling thread only: see the
     * class comment).
     *
     * @param c the calling thread's own counter
     */
    static void install(DeathCounts c) {
        BY_THREAD[slot(c.thread)] = c;
    }

    private static int slot(Thread t) {
        return (int) t.getId() & (SLOTS - 1);
    }

    /** @return the by-thread table's slot for {@code t} (tests) */
    static int slotOf(Thread t) {
        return slot(t);
    }

    /** @return this counter's count (opaque read; tests) */
    long count() {
        return (long) COUNT.getOpaque(this);
    }

    /** @return the by-thread table's size (tests) */
    static int slotCount() {
        return SLOTS;
    }

    /** Counts {@code n} deaths processed by this counter's thread (that thread only). */
    void add(long n) {
        COUNT.setOpaque(this, (long) COUNT.getOpaque(this) + n);
    }

    /** @return every death counted so far (see the class comment for what is included) */
    public static long sum() {
        synchronized (LOCK) {
            foldEnded();
            long total = retired;
            for (int i = 0; i < size; i++) {
                total += (long) COUNT.getOpaque(registered[i]);
            }
            return total;
        }
    }

    /** @return registered counters (tests) */
    static int registeredCount() {
        synchronized (LOCK) {
            return size;
        }
    }

    /** Folds the counters of ended threads into {@code retired}. Caller holds {@code LOCK}. */
    private static void foldEnded() {
        int kept = 0;
        for (int i = 0; i < size; i++) {
            DeathCounts c = registered[i];
            if (c.thread.isAlive()) {
                registered[kept++] = c;
            } else {
                retired += (long) COUNT.getOpaque(c); // final: its thread's last write happens-before isAlive() == false
                int at = slot(c.thread);
                if (BY_THREAD[at] == c) {
                    BY_THREAD[at] = null; // a live thread that installs here meanwhile just installs again later
                }
            }
        }
        Arrays.fill(registered, kept, size, null);
        size = kept;
        if (registered.length > 64 && size < registered.length / 4) {
            registered = Arrays.copyOf(registered, Math.max(16, size * 2));
        }
    }
}
