package org.safethread.internal.refcount;

import org.safethread.Ref;
import org.safethread.RefCounted;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.Notices;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.internal.runtime.LoggerNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Death processing: what happens after an object's DEAD flag was set by exactly one CAS.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>Order, per object: (1) marked dead (already done by the caller's CAS), (2) its
 *       {@link Ref} fields emptied and what they held released, (3) death watches fired and the
 *       finalizer core queued. For a garbage group (the collector) every member completes (1)
 *       before any starts (2), and (2) before any (3), so no finalizer observes a half-cleared
 *       group.</li>
 *   <li>Releases made by (2) may kill more objects; those are appended to the calling thread's
 *       {@link DeathWork} list and processed by the same loop, never by recursion.</li>
 *   <li>Nothing here calls a method of a user class: fields are read by reflection, objects are
 *       compared by identity, and the core's {@code @Finalize} method runs later on the finalizer
 *       thread.</li>
 *   <li>A failure while releasing one field (an over-release elsewhere) is logged and does not
 *       stop the processing of the others.</li>
 *   <li><b>Bare deaths.</b> An object of a class with no {@code Ref} fields and no core
 *       ({@link ClassInfo#bareDeath}) whose Extras field is empty has nothing for (2) or (3): it
 *       is counted and that is all (no worklist). The Extras field is read volatile after the
 *       DEAD CAS; whoever installs Extras ({@link RefCounts#extrasOrCreate}, a volatile CAS) reads
 *       the word afterwards (a watch re-checks {@code isAlive}, a binding checks the word under
 *       the Extras lock before it is added). All four accesses are volatile, so either this
 *       death sees the Extras and takes the full path, or the installer sees DEAD and handles
 *       it itself. Pairs with {@link RefCounts#watch} and {@link RefCounts#touchForBindings}.
 *       {@link UnownedRelease} takes the same decision for an unbiased object born BARE (the bit
 *       in its word replaces the class check), with the same Extras read after its DEAD CAS.</li>
 *   <li>Deaths are counted on the dying thread's own counter ({@link DeathCounts}), before
 *       (2) and (3), so a thread that learns of a death from a watch or a finalizer and then
 *       reads {@code stats()} sees it counted.</li>
 * </ul>
 */
public final class Deaths {
    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.REFCOUNT);

    private Deaths() {
    }

    /**
     * Processes the death of {@code x}, whose DEAD flag the caller has just set.
     *
     * @throws IllegalArgumentException if {@code x}'s finalizer core reaches its owner (found at
     *     the first death of its class); the death itself was completed, the core not run
     */
    public static void die(RefCounted x) {
        die(x, ThreadState.current());
    }

    /**
     * {@link #die(RefCounted)} for a caller that has the current thread's state at hand.
     *
     * @param ts the calling thread's state
     */
    static void die(RefCounted x, ThreadState ts) {
        OwnerWork refs = OwnerWork.of(ts);
        DeathWork work = refs.deaths;
        if (CountFields.ownerPlain(x) != null) {
            // Only if set: an unbiased or merged object has none, and a needless store could
            // cost a cache-line upgrade when the field and the word straddle a line.
            CountFields.setOwnerPlain(x, null);
        }
        // pairs with RefCounts.watch's and touchForBindings' volatile reads of the word after
        // installing Extras (CountFields.compareAndExchangeExtras): this volatile read comes after
        // the caller's DEAD CAS, so either it sees their Extras or they see DEAD
        if (refs.classInfo(x.getClass()).bareDeath && CountFields.extrasVolatile(x) == null) {
            // No Ref fields, no core, no Extras: the loop below would count it and find nothing
            // else to do (clearRefs: no fields; clearBindings and finish: no Extras, no core).
            // Counting it here is the same death without the worklist (it kills nothing more).
            work.countDeaths(1);
            return;
        }
        work.push(x);
        if (work.running) {
            return;
        }
        work.running = true;
        IllegalArgumentException refused = null;
        try {
            RefCounted y;
            while ((y = work.pop()) != null) {
                work.countDeaths(1);
                ClassInfo info = refs.classInfo(y.getClass());
                clearRefs(y, info);
                clearBindings(y);
                IllegalArgumentException r = finish(y, info);
                if (r != null && refused == null) {
                    refused = r;
                }
            }
        } finally {
            work.running = false;
        }
        if (refused != null && !ts.isRuntimeThread()) {
            throw refused;
        }
    }

    /**
     * The objects one collection killed, as the collector saw them: which {@code Ref} targets of
     * each member died in the same collection, so that death processing need not read those
     * targets' words (for a large garbage graph, each such read is a cache miss).
     */
    public interface CollectedGroup {
        /** @return how many objects died */
        int count();

        /**
         * @return the dead objects in slots {@code [0, count())}; death processing may overwrite
         *     slots it has finished with (it reuses the array for its own list)
         */
        RefCounted[] members();

        /**
         * @return true only if {@code target} is known to have died in this collection because
         *     member {@code k} (its original slot) referred to it in the collector's snapshot;
         *     false means "unknown": the caller checks the target itself
         */
        boolean diedWith(int k, RefCounted target);
    }

    /**
     * Processes the deaths of the garbage groups of one collection; every member's DEAD flag is
     * already set. Two passes over the members: the first clears owners and {@code Ref} fields
     * (releasing targets that did not die with them) and keeps the members that have something
     * to finish (a finalizer core, or Extras for watches and cells); the second finishes those.
     * So every {@code Ref} of every member is cleared before any core is queued.
     */
    public static void dieGroup(CollectedGroup group) {
        int n = group.count();
        RefCounted[] members = group.members();
        ThreadState ts = ThreadState.current();
        DeathWork work = OwnerWork.of(ts).deaths;
        boolean outer = !work.running;
        work.running = true;
        try {
            work.countDeaths(n);
            int toFinish = 0;
            Class<?> lastType = null;
            ClassInfo info = null;
            for (int k = 0; k < n; k++) {
                RefCounted y = members[k];
                CountFields.setOwnerPlain(y, null);
                Class<?> type = y.getClass();
                if (type != lastType) { // a group is usually of few classes
                    lastType = type;
                    info = ClassInfo.of(type);
                }
                clearRefsOfCollected(y, info, group, k);
                clearBindings(y);
                if (info.hasCore() || CountFields.extrasVolatile(y) != null) {
                    members[toFinish++] = y; // toFinish <= k: a slot already done with
                }
            }
            for (int k = 0; k < toFinish; k++) {
                RefCounted y = members[k];
                finish(y, ClassInfo.of(y.getClass()));
            }
            if (outer) {
                RefCounted y;
                while ((y = work.pop()) != null) {
                    work.countDeaths(1);
                    ClassInfo yi = ClassInfo.of(y.getClass());
                    clearRefs(y, yi);
                    clearBindings(y);
                    finish(y, yi);
                }
            }
        } finally {
            if (outer) {
                work.running = false;
            }
        }
    }

    /** {@link #clearRefs} for a member of a collected group: skips reading targets that died with it. */
    private static void clearRefsOfCollected(RefCounted y, ClassInfo info, CollectedGroup group, int k) {
        for (int i = 0, n = info.refFieldCount(); i < n; i++) {
            Ref<?> r = info.refField(y, i);
            if (r == null) {
                continue;
            }
            RefCounted t = CountFields.getAndSetRefValue(r, null);
            if (t == null || group.diedWith(k, t) || !RefCounts.isAlive(t)) {
                continue; // empty, or dead (most often: a member of the same group)
            }
            try {
                t.decref();
            } catch (RuntimeException e) {
                LOG.error("safethread: releasing {} held by dying {} failed", t.getClass().getName(),
                        y.getClass().getName(), e);
            }
        }
    }

    private static void clearRefs(RefCounted y, ClassInfo info) {
        for (int i = 0, n = info.refFieldCount(); i < n; i++) {
            Ref<?> r = info.refField(y, i);
            if (r == null) {
                continue;
            }
            RefCounted t = CountFields.getAndSetRefValue(r, null);
            if (t == null || !RefCounts.isAlive(t)) {
                continue; // empty, or a member of the same dying group
            }
            try {
                t.decref();
            } catch (RuntimeException e) {
                LOG.error("safethread: releasing {} held by dying {} failed", t.getClass().getName(),
                        y.getClass().getName(), e);
            }
        }
    }

    /**
     * The {@link Binding}s of a dying key are cleared with its {@code Ref} fields: closed (no new
     * one can be added), then each releases what it held. Runtime code only.
     */
    private static void clearBindings(RefCounted y) {
        Extras e = CountFields.extrasVolatile(y);
        if (e != null) {
            // Always under the lock, never on the racy hint: a put that read the key alive just
            // before its DEAD CAS may be adding a binding right now (it holds the lock; we wait).
            releaseBindings(e, e.type);
        }
    }

    /** Closes {@code e}'s bindings and lets each go (death, or the leak path). */
    static void releaseBindings(Extras e, Class<?> type) {
        Binding[] bs = e.closeBindings();
        if (bs == null) {
            return;
        }
        for (Binding b : bs) {
            try {
                b.keyDied();
            } catch (RuntimeException ex) {
                LOG.error("safethread: removing an entry of dying {} failed", type.getName(), ex);
            }
        }
    }

    /** Fires watches and queues the core. @return a refusal to rethrow, or null */
    private static IllegalArgumentException finish(RefCounted y, ClassInfo info) {
        Extras e = CountFields.extrasVolatile(y);
        Object core = info.hasCore() ? info.coreOf(y) : null;
        if (e != null) {
            e.onDeath();
        }
        if (core == null) {
            return null;
        }
        if (!info.deathChecked) {
            String why = FinalizerHooks.Installed.get().checkCore(y, core);
            if (why != null) {
                LOG.error("safethread: not finalizing {}: {}", y.getClass().getName(), why);
                Counters.FINALIZER_FAILURES.increment();
                Notices.unlogged(LOG.isErrorEnabled(), "an object's finalizer core was refused");
                if (e != null) {
                    e.claimFinalization();
                }
                return new IllegalArgumentException(why);
            }
            info.deathChecked = true;
        }
        if (e == null || e.claimFinalization()) {
            FinalizerHooks.Installed.get().enqueue(core, y.getClass());
        }
        return null;
    }
}
