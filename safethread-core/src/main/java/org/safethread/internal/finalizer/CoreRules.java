package org.safethread.internal.finalizer;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.safethread.internal.monitor.MonitorAccess;
import org.safethread.internal.share.ShareRules;

/**
 * The rules a finalizer core must follow, checked at a class's first use, at
 * {@code SafeThread.register}, and at the first death of each class:
 * <ul>
 *   <li>its class is shareable (the finalizer thread uses it);</li>
 *   <li>it has exactly one no-argument {@code @Finalize} method;</li>
 *   <li>it does not reach its owner through what it holds (else finalization could resurrect
 *       the owner). The walk ({@link ReachWalk}) is complete: iterative, with no depth or size
 *       cap, through fields, arrays, monitors, {@code Ref}s and the JDK's holder types; where it
 *       cannot see, the core is refused ("cannot verify that ... does not reach its owner"),
 *       never accepted. It never calls a method of a user class.</li>
 * </ul>
 */
public final class CoreRules {
    private CoreRules() {
    }

    /**
     * Checks a {@code @FinalizerCore} field's declared type, when it is exact enough to judge
     * (a final class).
     *
     * @return why the declaration is refused, or null
     */
    public static String checkDeclaredType(Field coreField) {
        Class<?> t = coreField.getType();
        if (!Modifier.isFinal(t.getModifiers()) || t.isArray()) {
            if (t.isArray()) {
                return "@FinalizerCore field " + coreField.getName() + " is an array: a core must be an object "
                        + "with a @Finalize method";
            }
            return null;
        }
        FinalizeMethods fm = FinalizeMethods.of(t);
        if (fm.problem != null) {
            return "@FinalizerCore field " + coreField.getDeclaringClass().getName() + "." + coreField.getName()
                    + ": " + fm.problem;
        }
        if (!ShareRules.canBeShareable(t)) {
            return "@FinalizerCore field " + coreField.getDeclaringClass().getName() + "." + coreField.getName()
                    + " has type " + t.getName() + ", which is not shareable: the finalizer thread uses the core, "
                    + "so annotate " + t.getSimpleName() + " with @Shareable (and make it thread-safe) or make it a monitor";
        }
        return null;
    }

    /**
     * Checks one owner's core.
     *
     * @return why the core is refused, or null
     */
    public static String checkInstance(Object owner, Object core) {
        String ownerName = owner.getClass().getName();
        if (!ShareRules.isShareable(core)) {
            return "the finalizer core of " + ownerName + " (" + core.getClass().getName()
                    + ") is not shareable: the finalizer thread uses it, so annotate its class @Shareable "
                    + "(and make it thread-safe) or make it a monitor with Monitor.of";
        }
        Object target = MonitorAccess.isMonitor(core) ? MonitorAccess.targetOf(core) : core;
        FinalizeMethods fm = FinalizeMethods.of(target.getClass());
        if (fm.problem != null) {
            return fm.problem;
        }
        String path;
        try {
            path = ReachWalk.reaches(target, owner, "core");
        } catch (ReachWalk.Unverifiable e) {
            return "cannot verify that the finalizer core of " + ownerName + " does not reach its owner: "
                    + e.path + " " + e.reason + "; keep in the core only what the cleanup needs (values, counters, "
                    + "files, channels, buffers, JDK collections, objects of your own classes), since a core that "
                    + "reaches its owner could resurrect it";
        }
        if (path != null) {
            return "the finalizer core of " + ownerName + " reaches its owner through " + path
                    + ": finalization could resurrect the owner; keep in the core only what the cleanup needs "
                    + "(not the owner, nor objects that refer to it)";
        }
        return null;
    }

    /**
     * Whether {@code from} strongly reaches {@code target} through what it holds (see
     * {@link ReachWalk}: complete, iterative, no depth cap; never calls user code); weak and soft
     * references are not followed.
     *
     * @param from the start (e.g. a finalizer core, or a map value)
     * @param target the object looked for, by identity
     * @return a shortest path ("value.listener.owner", shortened when long), or null when
     *     {@code target} is not reached
     * @throws ReachWalk.Unverifiable when the walk met an object it cannot see into: callers
     *     must refuse, never accept, what cannot be verified
     */
    public static String reaches(Object from, Object target) throws ReachWalk.Unverifiable {
        return ReachWalk.reaches(from, target, "value", false); // strong reachability: a weak reference back is fine
    }
}
