package org.safethread.internal.refcount;

import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.safethread.FinalizerCore;
import org.safethread.Ref;
import org.safethread.RefCounted;

/**
 * What the runtime needs to know about a class, found once by reflection and cached per class:
 * its {@link Ref} fields (for death and the collector) and its {@link FinalizerCore} field.
 *
 * <p>Finding and reading fields never runs user code. A class whose fields cannot be read (a
 * named module that does not open the package) or whose core declaration is wrong is recorded
 * with a message, and refused with {@link IllegalArgumentException} when an instance is created
 * or registered: the error comes at first use, not at death.
 */
public final class ClassInfo {
    private static final ClassValue<ClassInfo> INFO = new ClassValue<>() {
        @Override
        protected ClassInfo computeValue(Class<?> type) {
            return new ClassInfo(type);
        }
    };
    private static final Field[] NO_FIELDS = new Field[0];

    /** The class. */
    public final Class<?> type;
    /** Non-static fields of type {@link Ref}, readable. */
    final Field[] refFields;
    /** The {@link FinalizerCore} field, readable, or null. */
    public final Field coreField;
    /** Why instances are refused, or null. */
    private final String problem;
    /** Whether an instance of this class has had the "core reaches owner" check at death. */
    volatile boolean deathChecked;
    /**
     * Whether instances have nothing of their class's to do at death: no {@link Ref} fields to
     * empty and no finalizer core to queue. Decided once per class, so that the death of such an
     * object without {@link Extras} (no watches, bindings, cells or leak tracking) is only its
     * count (see {@link Deaths#die}).
     */
    final boolean bareDeath;

    private ClassInfo(Class<?> type) {
        this.type = type;
        String why = null;
        Field core = null;
        List<Field> refs = new ArrayList<>();
        try {
            for (Class<?> c = type; c != null && c != RefCounted.class && c != Object.class; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers())) {
                        if (f.isAnnotationPresent(FinalizerCore.class)) {
                            why = "@FinalizerCore field " + c.getName() + "." + f.getName()
                                    + " is static: the core must be an instance field of the object it finalizes";
                        }
                        continue;
                    }
                    if (f.getType() == Ref.class) {
                        f.setAccessible(true);
                        refs.add(f);
                    }
                    if (f.isAnnotationPresent(FinalizerCore.class)) {
                        if (core != null) {
                            why = "class " + type.getName() + " has two @FinalizerCore fields (" + core.getName()
                                    + " and " + f.getName() + "): put everything the finalizer needs in one core";
                        } else if (!Modifier.isFinal(f.getModifiers())) {
                            why = "@FinalizerCore field " + c.getName() + "." + f.getName()
                                    + " is not final: make it final so the core cannot be swapped after construction";
                        } else if (f.getType().isPrimitive()) {
                            why = "@FinalizerCore field " + c.getName() + "." + f.getName()
                                    + " is a primitive: the core must be an object with a @Finalize method";
                        }
                        f.setAccessible(true);
                        core = f;
                    }
                }
            }
            if (why == null && core != null) {
                why = FinalizerHooks.Installed.get().checkCoreField(core);
            }
        } catch (InaccessibleObjectException | SecurityException e) {
            why = "safethread cannot read the fields of " + type.getName() + " (" + e.getMessage()
                    + "): open its package to module org.safethread (opens " + type.getPackageName()
                    + " to org.safethread;)";
        }
        this.refFields = refs.isEmpty() ? NO_FIELDS : refs.toArray(NO_FIELDS);
        this.coreField = core;
        this.problem = why;
        this.bareDeath = refFields.length == 0 && core == null;
    }

    /** @return the cached information for {@code type} */
    public static ClassInfo of(Class<?> type) {
        return INFO.get(type);
    }

    /** Refuses use of a class whose declaration is wrong. */
    public void checkUsable() {
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** @return whether instances have a finalizer core */
    public boolean hasCore() {
        return coreField != null;
    }

    /** @return the core held by {@code owner}, read by reflection (no user code) */
    public Object coreOf(Object owner) {
        try {
            return coreField.get(owner);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read @FinalizerCore field " + coreField, e);
        }
    }

    /** @return the {@link Ref} held in field {@code i} of {@code obj} */
    Ref<?> refField(Object obj, int i) {
        try {
            return (Ref<?>) refFields[i].get(obj);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read Ref field " + refFields[i], e);
        }
    }

    /** @return the object held by {@code obj}'s Ref field {@code i} (volatile read), or null */
    public RefCounted refTarget(Object obj, int i) {
        Ref<?> r = refField(obj, i);
        return r == null ? null : CountFields.refValueVolatile(r);
    }

    /**
     * @return the object held by {@code obj}'s Ref field {@code i}, or null if the field is empty
     *     or holds a Ref already traced in collection {@code epoch} (see {@link RefCounts#markRef})
     */
    public RefCounted refTargetOnce(Object obj, int i, int epoch) {
        Ref<?> r = refField(obj, i);
        return r == null || !RefCounts.markRef(r, epoch) ? null : CountFields.refValueVolatile(r);
    }

    /** @return how many Ref fields instances have */
    public int refFieldCount() {
        return refFields.length;
    }
}
